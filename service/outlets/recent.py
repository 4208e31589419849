"""An outlet's own recent uploads, remembered by its browser (issue 23).

Outlets do not log in, so the server cannot tell whose job is whose; the browser keeps the ids and file
names of the last few jobs it started in a signed cookie (newest first), and the 快递网点 page lists them
with each job's time and status read from the store. A job's id is an unguessable token, so the list
shows nobody else's uploads, and a job deleted after ``OUTLET_RESULT_KEEP_DAYS`` simply drops out of it.
The cookie lives as long as the results, and only under /outlets.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from service.core.display import beijing_time
from service.outlets.jobs import jobs
from service.outlets.jobstore import STATUS_LABELS, OutletJob

COOKIE = "outlet_uploads"
PATH = "/outlets"
KEPT = 5  # a handful: enough for a day's uploads, small enough for a cookie
NAME_CHARS = 40  # a file name is cut: 5 names of 40 Chinese characters stay well under a cookie's 4 KB


@dataclass(frozen=True)
class Upload:
    """One line of the list: when, which file, how it stands, and where its page is."""

    job_id: str
    name: str
    uploaded: str
    status: str
    status_label: str
    url: str


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="outlet-uploads")


def _remembered() -> list[tuple[str, str]]:
    """The (job id, file name) pairs of the cookie; nothing for a missing, forged or malformed one."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return []
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        return []
    if not isinstance(data, list):
        return []
    pairs = [tuple(item) for item in data if isinstance(item, list) and len(item) == 2]
    return [(str(job_id), str(name)) for job_id, name in pairs][:KEPT]


def remember(response: Response, job_id: str, file_name: str) -> None:
    """Put the job first in the browser's list (dropping the oldest beyond ``KEPT``)."""
    name = file_name.strip() or "花名册"
    if len(name) > NAME_CHARS:
        name = name[: NAME_CHARS - 1] + "…"
    pairs = [(job_id, name), *(pair for pair in _remembered() if pair[0] != job_id)][:KEPT]
    response.set_cookie(
        COOKIE,
        _serializer().dumps([list(pair) for pair in pairs]),
        max_age=int(jobs().settings.keep_days * 86400),
        path=PATH,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),  # as the login's cookie
    )


def recent() -> list[Upload]:
    """The browser's uploads still in the store, newest first."""
    pairs = _remembered()
    if not pairs:
        return []
    with Session(jobs().engine) as session:
        rows = session.execute(
            select(OutletJob.id, OutletJob.status, OutletJob.created_at).where(
                OutletJob.id.in_([job_id for job_id, _ in pairs])
            )
        ).all()
    found = {job_id: (status, created) for job_id, status, created in rows}
    return [
        Upload(
            job_id,
            name,
            beijing_time(found[job_id][1])[:16],  # to the minute: the seconds only crowd a phone's line
            found[job_id][0],
            STATUS_LABELS[found[job_id][0]],
            url_for("outlets.job_page", job_id=job_id),
        )
        for job_id, name in pairs
        if job_id in found
    ]
