"""The web batch as a background job (issue 12): in the app's own process on SQLite, in a separate worker
process on PostgreSQL, never lost when a process dies, refused with 503 when too many wait."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import update
from sqlalchemy.orm import Session

from service import create_app
from service.outlets.jobs import OutletJob
from tests.conftest import stop_jobs
from tests.outlets_support import HEADERS, finished, make_id, sheet_xml, submit, xml_workbook

ROOT = Path(__file__).resolve().parent.parent


def roster(rows: int = 3) -> bytes:
    couriers = [["网点甲", "", f"快递员{i}", make_id(i), "2025-01", "2025-03", None, ""] for i in range(rows)]
    return xml_workbook({"花名册": sheet_xml([HEADERS, *couriers])})


@pytest.fixture
def queued_app(tmp_path: Path) -> Iterator[Flask]:
    """An app that queues jobs but runs none itself (as a web process on PostgreSQL does)."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'queued.sqlite3'}",
            "OUTLET_JOBS_IN_PROCESS": False,
            "OUTLET_MAX_PENDING_JOBS": 2,
            "OUTLET_JOB_STALE_SECONDS": 30,
        }
    )
    yield app
    stop_jobs(app)


def run_queued(app: Flask) -> int:
    """What a consumer does: take each task from huey's queue and execute it. Returns how many ran."""
    manager = app.extensions["outlet_jobs"]
    count = 0
    while (task := manager.huey.dequeue()) is not None:
        manager.huey.execute(task)
        count += 1
    return count


def age(app: Flask, job_id: str, **values: object) -> None:
    with Session(app.extensions["rates"].engine) as session, session.begin():
        session.execute(update(OutletJob).where(OutletJob.id == job_id).values(**values))


# ---------------------------------------------------------------- SQLite: the app's own process


def test_a_job_completes_in_the_apps_own_process_on_sqlite(app: Flask, client: FlaskClient) -> None:
    status, body = submit(client, roster(3), region="360100")
    assert status == 202, body
    assert body["status"] in ("queued", "running") and body["rows_total"] == 4  # the header row too
    assert re.fullmatch(r"/api/v1/outlets/jobs/[A-Za-z0-9_-]{24}", body["url"]), body
    job = finished(client, body)
    assert job["status"] == "done" and job["status_label"] == "已完成", job
    assert job["rows_total"] == job["rows_read"] == 3 and job["rows_priced"] == 3  # the reader's count: no header
    assert job["summary"]["accepted"] == 3 and job["summary"]["region"] == "360100"
    download = client.get(job["result_url"])
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    assert app.extensions["outlet_jobs"].consumer is not None  # huey's consumer, as threads of this process


def test_a_file_refused_while_its_job_runs_ends_the_job_with_the_chinese_error(client: FlaskClient) -> None:
    broken = sheet_xml([["网点名称", "姓名", "身份证号"], ["网点甲", "张三", make_id(1)]])
    status, body = submit(client, xml_workbook({"花名册": broken}))
    assert status == 202, body  # the cheap checks pass: the header is found while the job reads the sheets
    job = finished(client, body)
    assert job["status"] == "failed" and job["status_label"] == "未能完成"
    assert job["error"]["code"] == "no_header" and "缺少这些列" in job["error"]["message"], job
    assert "result_url" not in job


def test_the_page_shows_a_progress_bar_that_refreshes_without_javascript(queued_app: Flask) -> None:
    client = queued_app.test_client()
    answer = client.post("/outlets", data={"file": (io.BytesIO(roster(3)), "r.xlsx")})
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in html  # reloads itself without JS
    assert "排队等候" in html and "已读取" in html and "已测算" in html and "<progress" in html
    assert "js/outlet-job.js" in html  # with JS: polls the job's JSON instead
    assert run_queued(queued_app) == 1
    done = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "http-equiv" not in done and "<progress" not in done
    assert "计费 <strong>3</strong> 行" in done and re.search(r'href="/outlets/results/[^"]+\.xlsx"', done)


def test_an_unknown_job_is_a_chinese_404(client: FlaskClient) -> None:
    answer = client.get("/api/v1/outlets/jobs/" + "a" * 24)
    assert answer.status_code == 404 and "找不到这项测算任务" in answer.get_json()["error"]["message"]
    assert client.get("/outlets/jobs/../../etc").status_code == 404


# ---------------------------------------------------------------- busy


def test_too_many_waiting_batches_are_refused_with_503_and_retry_after(queued_app: Flask) -> None:
    client = queued_app.test_client()
    assert submit(client, roster(1))[0] == 202
    assert submit(client, roster(2))[0] == 202
    answer = client.post("/api/v1/outlets/batch", data={"file": (io.BytesIO(roster(1)), "r.xlsx")})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "60"
    error = answer.get_json()["error"]
    assert error["code"] == "busy" and "系统繁忙" in error["message"] and "请1分钟后再上传" in error["message"]
    page = client.post("/outlets", data={"file": (io.BytesIO(roster(1)), "r.xlsx")})
    assert page.status_code == 503 and "系统繁忙" in page.get_data(as_text=True)
    assert run_queued(queued_app) == 2
    assert submit(client, roster(1))[0] == 202  # room again once they are done


# ---------------------------------------------------------------- a process that dies


def test_a_job_whose_process_died_is_queued_again_and_completes(queued_app: Flask) -> None:
    client = queued_app.test_client()
    _, body = submit(client, roster(2))
    job_id = body["id"]
    manager = queued_app.extensions["outlet_jobs"]
    task = manager.huey.dequeue()  # a worker takes the task ...
    assert task is not None and manager._claim(job_id, 1) is not None  # ... starts the job, and dies
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    age(queued_app, job_id, heartbeat_at=long_ago)
    job = client.get(body["url"]).get_json()  # looking at it finds the silent heartbeat
    assert job["status"] == "queued", job
    assert run_queued(queued_app) == 1  # the job's new ticket
    job = client.get(body["url"]).get_json()
    assert job["status"] == "done" and job["summary"]["accepted"] == 2, job
    with Session(queued_app.extensions["rates"].engine) as session:
        stored = session.get(OutletJob, job_id)
        assert stored is not None and stored.runs == 2 and stored.ticket == 2


def test_the_old_task_of_a_requeued_job_does_not_run_it_twice(queued_app: Flask) -> None:
    client = queued_app.test_client()
    _, body = submit(client, roster(1))
    manager = queued_app.extensions["outlet_jobs"]
    stale = manager.huey.dequeue()
    assert manager._claim(body["id"], 1) is not None
    age(queued_app, body["id"], heartbeat_at=datetime.now(UTC) - timedelta(minutes=5))
    manager.sweep()
    manager.huey.execute(stale)  # the first task, delivered late: its ticket is no longer the job's
    assert client.get(body["url"]).get_json()["status"] == "queued"
    assert run_queued(queued_app) == 1
    assert client.get(body["url"]).get_json()["status"] == "done"


def test_a_job_interrupted_on_every_attempt_ends_with_a_chinese_message(queued_app: Flask) -> None:
    client = queued_app.test_client()
    _, body = submit(client, roster(1))
    manager = queued_app.extensions["outlet_jobs"]
    for ticket in (1, 2):  # two attempts (OUTLET_JOB_ATTEMPTS), each process dies in the middle
        assert manager.huey.dequeue() is not None and manager._claim(body["id"], ticket) is not None
        age(queued_app, body["id"], heartbeat_at=datetime.now(UTC) - timedelta(minutes=5))
        job = client.get(body["url"]).get_json()
    assert job["status"] == "failed", job
    assert job["error"]["code"] == "interrupted" and "进程意外中止，已尝试 2 次" in job["error"]["message"]
    assert "拆分" in job["error"]["message"]
    assert manager.huey.pending() == []


def test_a_queued_job_missing_from_the_queue_is_queued_again(queued_app: Flask) -> None:
    client = queued_app.test_client()
    _, body = submit(client, roster(1))
    manager = queued_app.extensions["outlet_jobs"]
    manager.huey.flush()  # the task is gone (a process died between taking it and starting the job)
    age(queued_app, body["id"], queued_at=datetime.now(UTC) - timedelta(minutes=5))
    assert client.get(body["url"]).get_json()["status"] == "queued"
    assert run_queued(queued_app) == 1
    assert client.get(body["url"]).get_json()["status"] == "done"


def test_jobs_left_by_an_earlier_run_of_the_app_are_taken_up_at_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'restart.sqlite3'}"
    first = create_app({"TESTING": True, "DATABASE_URL": url, "OUTLET_JOBS_IN_PROCESS": False})
    status, body = submit(first.test_client(), roster(2))
    assert status == 202
    second = create_app({"TESTING": True, "DATABASE_URL": url})  # the server starts again, SQLite default
    try:
        assert second.extensions["outlet_jobs"].consumer is not None
        job = finished(second.test_client(), body)
        assert job["status"] == "done" and job["summary"]["accepted"] == 2
    finally:
        stop_jobs(second)


def test_the_cli_stays_synchronous(runner: FlaskCliRunner, tmp_path: Path) -> None:
    source, target = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    source.write_bytes(roster(2))
    result = runner.invoke(args=["outlets", "batch", str(source), "-o", str(target)])
    assert result.exit_code == 0 and target.exists(), result.output
    assert "计费 2 行" in result.output


# ---------------------------------------------------------------- PostgreSQL: a separate worker process


def start_worker(url: str, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": url, "OUTLET_JOB_STALE_SECONDS": "2"}
    env.pop("SHEBAO_ENV", None)
    command = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "outlets", "worker", *extra]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.communicate(timeout=30)[0]


@pytest.mark.postgres
def test_on_postgresql_a_separate_worker_process_takes_the_job(pg_url: str) -> None:
    web = create_app({"TESTING": True, "DATABASE_URL": pg_url})
    assert web.extensions["outlet_jobs"].settings.in_process is False  # the web process runs none itself
    client = web.test_client()
    status, body = submit(client, roster(4), region="360100")
    assert status == 202, body
    time.sleep(0.5)
    assert client.get(body["url"]).get_json()["status"] == "queued"  # nobody has taken it yet
    worker = start_worker(pg_url, "-w", "2")
    try:
        job = finished(client, body, seconds=120)
    finally:
        output = stop(worker)
    assert job["status"] == "done", (job, output)
    assert job["summary"]["accepted"] == 4 and job["rows_priced"] == 4
    assert client.get(job["result_url"]).status_code == 200
    assert "工作进程已启动" in output


@pytest.mark.postgres
def test_on_postgresql_a_worker_killed_mid_job_leaves_it_to_another(pg_url: str) -> None:
    """kill -9 of the worker while it reads a large roster: the job is queued again and another worker ends it."""
    web = create_app({"TESTING": True, "DATABASE_URL": pg_url, "OUTLET_JOB_STALE_SECONDS": 2})
    client = web.test_client()
    _, body = submit(client, roster(30_000))
    first = start_worker(pg_url)
    try:
        deadline = time.monotonic() + 120
        while client.get(body["url"]).get_json()["status"] != "running":
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        first.kill()  # SIGKILL: no chance to say anything
        first.wait(timeout=30)
    finally:
        stop(first)
    second = start_worker(pg_url)
    try:
        job = finished(client, body, seconds=240)
    finally:
        output = stop(second)
    assert job["status"] == "done", (job, output)
    assert job["summary"]["rows"] == 30_000  # every row read (IDs repeat every 1,000 rows: those are errors)
    with Session(web.extensions["rates"].engine) as session:
        stored = session.get(OutletJob, body["id"])
        assert stored is not None and stored.runs == 2
