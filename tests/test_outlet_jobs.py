"""The web batch as a background job (issue 12): in the app's own process on SQLite, in a separate worker
process on PostgreSQL, never lost when a process dies, refused with 503 when too many wait."""

from __future__ import annotations

import dataclasses
import glob
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service import create_app
from service.outlets.jobstore import HueyTask, OutletJob
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


# ---------------------------------------------------------------- the busy limit under a crowd (issue 21)


def counts(app: Flask) -> tuple[int, int]:
    """Job rows and huey tasks in the database."""
    with Session(app.extensions["rates"].engine) as session:
        jobs = session.scalar(select(func.count()).select_from(OutletJob)) or 0
        tasks = session.scalar(select(func.count()).select_from(HueyTask)) or 0
    return jobs, tasks


def test_the_busy_limit_holds_under_20_concurrent_uploads(db_url: str) -> None:
    """Counted and inserted under one lock (the login limit's): 20 uploads at once, limit 8, get 8 x 202,
    from two processes on one database; every 202 has its row and its task, every 503 neither."""
    config = {"TESTING": True, "DATABASE_URL": db_url, "OUTLET_JOBS_IN_PROCESS": False, "OUTLET_MAX_PENDING_JOBS": 8}
    apps = [create_app(config), create_app(config)]
    data = roster(2)
    crowd = 20
    start = threading.Barrier(crowd)

    def upload(i: int) -> int:
        client = apps[i % 2].test_client()
        start.wait()
        answer = client.post("/api/v1/outlets/batch", data={"file": (io.BytesIO(data), "r.xlsx")})
        return answer.status_code

    with ThreadPoolExecutor(crowd) as pool:
        statuses = list(pool.map(upload, range(crowd)))
    assert statuses.count(202) == 8 and statuses.count(503) == 12, statuses
    assert counts(apps[0]) == (8, 8)


def test_a_job_row_and_its_task_are_written_together_or_not_at_all(queued_app: Flask) -> None:
    """The task goes into huey's table in the transaction that writes the job's row: when that fails, the
    client gets a Chinese 503 and neither exists (before, the row was committed and the queueing failed)."""
    from unittest import mock

    from sqlalchemy.exc import OperationalError

    queued_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = queued_app.test_client()
    manager = queued_app.extensions["outlet_jobs"]
    lost = OperationalError("INSERT INTO huey_task", {}, Exception("server closed the connection unexpectedly"))
    with mock.patch.object(type(manager), "_enqueue", side_effect=lost):
        answer = client.post("/api/v1/outlets/batch", data={"file": (io.BytesIO(roster(1)), "r.xlsx")})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
    assert "数据库暂时无法连接" in answer.get_json()["error"]["message"]
    assert counts(queued_app) == (0, 0)
    status, body = submit(client, roster(1))
    assert status == 202 and counts(queued_app) == (1, 1)
    assert [task.args for task in manager.huey.pending()] == [(body["id"], 1)]  # huey reads the task written


# ---------------------------------------------------------------- progress counts (issue 19, defect 7)


def test_progress_counts_agree_with_the_summary_on_the_page_and_the_api(queued_app: Flask) -> None:
    """One set of counts: the page and the API show the same numbers while the job waits, and at the end
    rows_total = rows_read = the summary's 读取 N 行, rows_priced = its 计费 N 行."""
    good = [["网点甲", "", f"快递员{i}", make_id(i), "2025-01", "2025-03", None, ""] for i in range(5)]
    bad = [["网点甲", "", f"错号{i}", "123", "2025-01", "2025-03", None, ""] for i in range(6)]
    total = ["合计", "", "", "", "", "", None, ""]
    rows = [["快递员花名册"], HEADERS, *good, [], *bad, total]
    data = xml_workbook({"花名册": sheet_xml(rows)})
    client = queued_app.test_client()
    answer = client.post("/outlets", data={"file": (io.BytesIO(data), "r.xlsx")})
    waiting = client.get(answer.headers["Location"].replace("/outlets/jobs/", "/api/v1/outlets/jobs/")).get_json()
    html = client.get(answer.headers["Location"]).get_data(as_text=True)
    shown = f'<span id="rows-read">{waiting["rows_read"]}</span> / <span id="rows-total">{waiting["rows_total"]}</span>'
    assert shown in html and f'<span id="rows-priced">{waiting["rows_priced"]}</span>' in html
    assert run_queued(queued_app) == 1
    job = client.get(waiting["url"]).get_json()
    summary = job["summary"]
    assert (summary["rows"], summary["accepted"], summary["rejected"]) == (12, 5, 7), summary
    assert job["rows_total"] == job["rows_read"] == summary["rows"] and job["rows_priced"] == summary["accepted"]
    done = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "读取 <strong>12</strong> 行：计费 <strong>5</strong> 行" in done


# ---------------------------------------------------------------- a job's time and memory budget (issue 21)


def test_a_job_over_its_time_budget_fails_in_chinese_and_frees_the_worker(tmp_path: Path) -> None:
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'slow.sqlite3'}", "OUTLET_JOB_SECONDS": 1}
    )
    try:
        client = app.test_client()
        _, body = submit(client, roster(30_000))  # some seconds to read and price
        started = time.monotonic()
        job = finished(client, body)
        assert job["status"] == "failed" and job["error"]["code"] == "job_timeout", job
        assert "超过了时间上限（1 秒）" in job["error"]["message"] and "拆分" in job["error"]["message"]
        assert time.monotonic() - started < 30  # stopped, not left to run to its end
        manager = app.extensions["outlet_jobs"]
        manager.settings = dataclasses.replace(manager.settings, job_seconds=120)
        _, small = submit(client, roster(3))  # the one worker thread is free again
        assert finished(client, small)["status"] == "done"
    finally:
        stop_jobs(app)


def test_a_job_over_its_memory_budget_fails_in_chinese_and_the_next_one_runs(tmp_path: Path) -> None:
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'big.sqlite3'}", "OUTLET_JOB_MEMORY_MB": 100}
    )
    try:
        client = app.test_client()
        _, body = submit(client, roster(30_000))
        job = finished(client, body)
        assert job["status"] == "failed" and job["error"]["code"] == "job_memory", job
        assert "超过了内存上限（100 MB）" in job["error"]["message"]
        manager = app.extensions["outlet_jobs"]
        manager.settings = dataclasses.replace(manager.settings, job_memory_mb=1024)
        _, small = submit(client, roster(3))  # a fresh child: nothing of the failed job is left
        job = finished(client, small)
        assert job["status"] == "done" and job["summary"]["accepted"] == 3
    finally:
        stop_jobs(app)


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


# ---------------------------------------------------------------- a database restart (issue 21, item 7)


@dataclasses.dataclass
class OwnPostgres:
    """A PostgreSQL server of the test's own (scripts/pg-test-server on a free port): the shared one is
    never restarted."""

    env: dict[str, str]
    url: str

    def run(self, action: str) -> None:
        subprocess.run(
            [str(ROOT / "scripts" / "pg-test-server"), action], env=self.env, check=True, stdout=subprocess.DEVNULL
        )


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    if not (shutil.which("pg_ctl") or glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")):
        message = "PostgreSQL's programs (pg_ctl, initdb) are not installed: the database-restart test needs them"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    directory = tempfile.mkdtemp(prefix="pg-restart-", dir="/tmp")  # not under pytest's 0700 folders: the
    env = {**os.environ, "PGTEST_PORT": str(port), "PGTEST_DIR": directory}  # server may run as user pgtest
    server = OwnPostgres(env, f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres")
    server.run("start")
    try:
        yield server
    finally:
        server.run("stop")
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.postgres
def test_after_a_database_restart_uploads_are_202_and_every_job_is_reachable(own_postgres: OwnPostgres) -> None:
    """Issue 21, item 7: after a restart 16 of 20 uploads answered 500 while their rows were committed and
    ran with nobody able to fetch them. Now: 20 x 202, each with its row and task; while the database is
    down, a Chinese 503 with Retry-After and nothing written; huey's own connection (a worker's) recovers."""
    config = {"TESTING": True, "DATABASE_URL": own_postgres.url, "OUTLET_MAX_PENDING_JOBS": 50}
    web = create_app(config)
    web.config["PROPAGATE_EXCEPTIONS"] = False
    manager = web.extensions["outlet_jobs"]
    client = web.test_client()
    data = roster(1)
    assert submit(client, data)[0] == 202
    assert len(manager.huey.pending()) == 1  # huey's peewee connection is open in this thread, as a worker's is

    own_postgres.run("stop")
    down = client.post("/api/v1/outlets/batch", data={"file": (io.BytesIO(data), "r.xlsx")})
    assert down.status_code == 503 and down.headers["Retry-After"] == "30", down.get_data(as_text=True)
    assert "数据库暂时无法连接" in down.get_json()["error"]["message"]
    page = client.post("/outlets", data={"file": (io.BytesIO(data), "r.xlsx")})
    assert page.status_code == 503 and "数据库暂时无法连接" in page.get_data(as_text=True)
    own_postgres.run("start")

    crowd = 20
    start = threading.Barrier(crowd)

    def upload(_: int) -> tuple[int, str]:
        start.wait()
        answer = web.test_client().post("/api/v1/outlets/batch", data={"file": (io.BytesIO(data), "r.xlsx")})
        return answer.status_code, (answer.get_json() or {}).get("id", "")

    with ThreadPoolExecutor(crowd) as pool:
        answers = list(pool.map(upload, range(crowd)))
    assert [status for status, _ in answers] == [202] * crowd, answers
    assert counts(web) == (crowd + 1, crowd + 1)  # nothing of the refused uploads, a task for every job
    assert len(manager.huey.pending()) == crowd + 1  # the same thread's connection, dropped by the restart
    assert run_queued(web) == crowd + 1
    for _, job_id in answers:
        job = client.get(f"/api/v1/outlets/jobs/{job_id}").get_json()
        assert job["status"] == "done" and job["summary"]["accepted"] == 1, job
