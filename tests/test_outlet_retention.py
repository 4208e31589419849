"""How long an outlet's upload and result are kept (issue 23): ``OUTLET_RESULT_KEEP_DAYS`` (7 by default),
then the periodic sweep deletes the job's row with the roster and the result it holds (ID numbers)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service import create_app
from service.outlets.jobstore import OutletJob
from tests.conftest import stop_jobs
from tests.outlets_support import HEADERS, make_id, sheet_xml, xml_workbook


def roster() -> bytes:
    courier = ["网点甲", "", "张三", make_id(1), "2025-01", "2025-03", None, ""]
    return xml_workbook({"花名册": sheet_xml([HEADERS, courier])})


def make_app(url: str, **config: object) -> Flask:
    """An app that queues jobs and runs none by itself: the test runs them (``run_all``)."""
    return create_app({"TESTING": True, "DATABASE_URL": url, "OUTLET_JOBS_IN_PROCESS": False, **config})


@pytest.fixture
def app(db_url: str) -> Iterator[Flask]:
    """On SQLite and on PostgreSQL (the dates compared in the database: naive on one, zoned on the other)."""
    app = make_app(db_url)
    yield app
    stop_jobs(app)


def upload(app: Flask) -> str:
    answer = app.test_client().post("/api/v1/outlets/batch", data={"file": (io.BytesIO(roster()), "r.xlsx")})
    assert answer.status_code == 202, answer.get_data(as_text=True)
    return answer.get_json()["id"]


def run_all(app: Flask) -> None:
    huey = app.extensions["outlet_jobs"].huey
    while (task := huey.dequeue()) is not None:
        huey.execute(task)


def set_times(app: Flask, job_id: str, ago: timedelta, finished: bool = True) -> None:
    moment = datetime.now(UTC) - ago
    values = {"created_at": moment, "queued_at": moment, **({"finished_at": moment} if finished else {})}
    with Session(app.extensions["rates"].engine) as session, session.begin():
        session.execute(update(OutletJob).where(OutletJob.id == job_id).values(**values))


def stored(app: Flask) -> dict[str, tuple[str, bool, bool]]:
    """Each job left: its status, whether it still holds the upload and a result."""
    with Session(app.extensions["rates"].engine) as session:
        rows = session.execute(
            select(OutletJob.id, OutletJob.status, OutletJob.upload.is_not(None), OutletJob.result.is_not(None))
        ).all()
    return {job_id: (status, upload, result) for job_id, status, upload, result in rows}


def test_results_are_kept_seven_days_by_default(app: Flask) -> None:
    assert app.extensions["outlet_jobs"].settings.keep_days == 7


def test_the_sweep_deletes_an_expired_job_with_its_upload_and_result_and_keeps_a_fresh_one(app: Flask) -> None:
    old, fresh, stuck = upload(app), upload(app), upload(app)
    huey = app.extensions["outlet_jobs"].huey
    for _ in range(2):  # the first two run; the third stays queued with its roster, as if never taken
        huey.execute(huey.dequeue())
    assert stored(app)[old] == ("done", False, True)  # finished: the roster is dropped, the result kept
    assert stored(app)[stuck] == ("queued", True, False)
    set_times(app, old, timedelta(days=7, minutes=1))
    set_times(app, fresh, timedelta(days=6, hours=23))
    set_times(app, stuck, timedelta(days=8), finished=False)

    app.extensions["outlet_jobs"].sweep()  # what every consumer runs each minute

    assert stored(app) == {fresh: ("done", False, True)}
    client = app.test_client()
    assert client.get(f"/api/v1/outlets/jobs/{fresh}/result.xlsx").status_code == 200
    gone = client.get(f"/api/v1/outlets/jobs/{old}/result.xlsx")
    assert gone.status_code == 404 and "保留7天" in gone.get_json()["error"]["message"]


def test_the_keep_is_configurable_in_days(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'keep.sqlite3'}", OUTLET_RESULT_KEEP_DAYS="1")  # text, as in the environment
    try:
        day_old, hours_old = upload(app), upload(app)
        run_all(app)
        set_times(app, day_old, timedelta(days=1, minutes=1))
        set_times(app, hours_old, timedelta(hours=12))
        assert app.extensions["outlet_jobs"].forget_expired() == 1
        assert set(stored(app)) == {hours_old}
    finally:
        stop_jobs(app)


def test_an_upload_deletes_the_expired_jobs_too(app: Flask) -> None:
    """Without a consumer running the sweep (a web process on PostgreSQL), each upload still deletes them."""
    old = upload(app)
    run_all(app)
    set_times(app, old, timedelta(days=30))
    new = upload(app)
    assert set(stored(app)) == {new}
