"""Two app processes on one PostgreSQL database: a publication through one is used by the other's next calculation.

Each process is a real ``waitress`` server started from ``wsgi:app`` with production settings (CSRF on,
Secure session cookie, which this client sends over plain http itself). Waits are bounded and both
processes are always stopped.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from service import create_app
from tests.admin_support import PASSWORD, WAGE_2026_FORM, add_user

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 60
CALC = {"region": "360100", "scheme": "flexible_pension", "start": "2026-03", "end": "2026-03", "base_ratio": "0.6"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Client:
    """A minimal HTTP client keeping the session cookie (http.cookiejar would not send a Secure one over http)."""

    def __init__(self, port: int):
        self.port = port
        self.cookie: str | None = None

    def request(self, method: str, path: str, form: dict[str, str] | None = None, body: Any = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        payload = None
        if form is not None:
            payload, headers["Content-Type"] = urlencode(form), "application/x-www-form-urlencoded"
        elif body is not None:
            payload, headers["Content-Type"] = json.dumps(body), "application/json"
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8")
            cookie = response.getheader("Set-Cookie")
            if cookie:
                self.cookie = cookie.split(";", 1)[0]
            return response.status, text
        finally:
            connection.close()

    def total(self) -> str:
        status, text = self.request("POST", "/api/v1/calculate", body=CALC)
        assert status == 200, text
        return json.loads(text)["total"]


def field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no field {name}"
    return unescape(match.group(1))


def log_in(client: Client) -> None:
    status, page = client.request("GET", "/login")
    assert status == 200
    form = {"username": "alice", "password": PASSWORD, "csrf_token": field(page, "csrf_token")}
    assert client.request("POST", "/login", form)[0] == 302


@contextmanager
def server(env: dict[str, str], log: Path) -> Iterator[Client]:
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{port}", "--threads=4", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        client = Client(port)
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
            try:
                if client.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server not up after {START_SECONDS}s:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        yield client
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_publication_through_one_process_is_seen_by_the_other(pg_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": pg_url, "SECRET_KEY": "test-only-shared-secret"}
    env.pop("FLASK_DEBUG", None)
    folder = Path(tempfile.mkdtemp(prefix="two-processes-"))
    with server(env, folder / "a.log") as one, server(env, folder / "b.log") as other:
        assert other.total() == "783.00"  # 2026 priced on 2025's 6525 (provisional); the snapshot is now cached
        add_user(create_app({"DATABASE_URL": pg_url}), "alice")

        log_in(one)
        status, form = one.request("GET", "/admin/publish?region=360000&family=avg_wage")
        assert status == 200
        token = field(form, "csrf_token")
        status, preview = one.request(
            "POST", "/admin/publish", {**WAGE_2026_FORM, "revision": field(form, "revision"), "csrf_token": token}
        )
        assert status == 200, preview
        data = {name: field(preview, name) for name in ("payload", "based_on", "origin", "source")}
        status, _ = one.request("POST", "/admin/publish/confirm", {**data, "csrf_token": token})
        assert status == 303

        assert other.total() == "816.00"  # 6800 x 60% x 20%, at the other process's next calculation
        assert other.request("GET", "/admin/audit")[0] == 302  # no session there yet: the login page
        log_in(other)  # the same account and secret: either process serves the admin
        status, audit = other.request("GET", "/admin/audit?action=publish")
        # the audit log names the version in words (issue 23), not as 360000/avg_wage/2026-01
        assert status == 200 and "alice" in audit
        assert "江西省 · 上年度全省全口径城镇单位就业人员月平均工资 · 2026-01起" in audit


def upload(port: int, data: bytes) -> int:
    """POST a roster as multipart/form-data, as a browser or script does; the status."""
    boundary = "----roster-boundary-7d3f"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="r.xlsx"\r\n'
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        connection.request("POST", "/api/v1/outlets/batch", body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8")
        assert response.status in (202, 503), text
        assert response.status == 202 or response.getheader("Retry-After") == "60"
        return response.status
    finally:
        connection.close()


def test_the_busy_limit_holds_for_20_uploads_at_once_to_two_servers(pg_url: str) -> None:
    """Issue 21, item 8: 20 concurrent uploads, limit 8, through two real servers on one database: 8 x 202."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from service.outlets.jobstore import HueyTask, OutletJob
    from tests.test_outlet_jobs import roster

    env = {
        **os.environ,
        "DATABASE_URL": pg_url,
        "SECRET_KEY": "test-only-shared-secret",
        "OUTLET_MAX_PENDING_JOBS": "8",
        "OUTLET_JOBS_IN_PROCESS": "0",  # nobody takes the jobs: the count is what the limit holds
    }
    env.pop("FLASK_DEBUG", None)
    folder = Path(tempfile.mkdtemp(prefix="two-processes-"))
    data = roster(2)
    crowd = 20
    with server(env, folder / "a.log") as one, server(env, folder / "b.log") as other:
        ports = [one.port, other.port]
        start = threading.Barrier(crowd)

        def send(i: int) -> int:
            start.wait()
            return upload(ports[i % 2], data)

        with ThreadPoolExecutor(crowd) as pool:
            statuses = list(pool.map(send, range(crowd)))
    assert statuses.count(202) == 8 and statuses.count(503) == 12, statuses
    app = create_app({"DATABASE_URL": pg_url})
    with Session(app.extensions["rates"].engine) as session:
        assert session.scalar(select(func.count()).select_from(OutletJob)) == 8
        assert session.scalar(select(func.count()).select_from(HueyTask)) == 8
