"""The web batch as a background job: huey runs it, a row of ``outlet_job`` says where it stands.

huey keeps its queue in the app's own database (``SqlHuey`` on peewee: SQLite or PostgreSQL, no new
server). On the embedded SQLite default the app runs huey's consumer in its own process, as threads
(``OUTLET_JOBS_IN_PROCESS``, on by default for SQLite); on PostgreSQL any number of
``flask --app wsgi outlets worker`` processes, on any machine that reaches the database, take the jobs.

huey hands a task to one consumer and forgets it. Whether the job was finished is therefore kept here,
where every process sees it: the upload, the status, rows read and priced, the result workbook or the
Chinese reason it failed, and a heartbeat written while it runs. A job whose heartbeat stops (its
process died) is put back in the queue once, or, when it has already been tried ``OUTLET_JOB_ATTEMPTS``
times, ends with a Chinese message: it is never lost (``sweep``, run by every consumer each minute, at
its start, and whenever someone looks at that job). Each queueing carries a ticket: only the task with
the job's current ticket may claim it, so a job is never run twice at once.

A job's row and its huey task are written in one transaction (``_enqueue``), and the count of waiting
jobs is taken under a lock (``service.core.db.serialise``), so the busy limit holds under a crowd. The roster
itself is read and priced in a fresh child process under a time and memory budget (``budget``): the worker
thread only waits for it and keeps the heartbeat. The tables are ``jobstore``; huey on the database,
``jobqueue``.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, undefer

from service.core.db import serialise
from service.outlets.jobqueue import Settings, in_process_consumer, peewee_database, storage_class
from service.outlets.jobstore import (
    DONE,
    FAILED,
    INTERNAL,
    PENDING,
    QUEUED,
    ROSTER,
    RUNNING,
    HueyTask,
    OutletJob,
    aware,
    now,
)

if TYPE_CHECKING:  # huey is imported when a job is queued or a worker starts, not by every start
    from huey import Huey
    from huey.consumer import Consumer

log = logging.getLogger(__name__)


_JOBS_LOCK = 0x5348_4F4A  # "SHOJ": the advisory lock that serialises the count of waiting jobs on PostgreSQL


class Busy(Exception):
    """Too many batches waiting: the upload is refused, to be sent again later."""

    retry_after = 60
    message = "系统繁忙：正在处理的花名册较多，请1分钟后再上传。"


class Jobs:
    """The app's job queue: submit, look at, run, and recover jobs. ``app.extensions["outlet_jobs"]``."""

    def __init__(self, app: Flask):
        url = app.config["DATABASE_URL"]
        self.app = app
        self.settings = Settings.from_config(app.config, make_url(url).get_backend_name() == "sqlite")
        self.consumer: Consumer | None = None
        self._consumer_pid = 0
        self._lock = threading.Lock()

    @functools.cached_property
    def huey(self) -> Huey:
        """huey on the app's database, with the batch task and the sweep: made when first needed."""
        from huey import Huey, MemoryHuey, crontab

        database = peewee_database(self.app.config["DATABASE_URL"])
        huey = (
            MemoryHuey("outlets", results=False)
            if database is None
            else Huey("outlets", results=False, storage_class=storage_class(), database=database, create_tables=False)
        )
        self._task = huey.task(name="outlet_batch")(self._execute)
        huey.periodic_task(crontab(minute="*"), name="outlet_sweep")(self.sweep)
        return huey

    def task(self, job_id: str, ticket: int) -> None:
        """Put the batch of a job in huey's queue."""
        self.huey  # noqa: B018  # made with its task
        self._task(job_id, ticket)

    @property
    def engine(self) -> Any:
        return self.app.extensions["rates"].engine

    # ------------------------------------------------------------ the web side

    def submit(self, data: bytes, region: str | None, rows_total: int, kind: str = ROSTER) -> str:
        """Store the upload as a queued job and queue it; ``Busy`` when too many are waiting already.
        ``kind``: a courier roster, or a platform's orders (``jobstore.ORDERS``), on the same queue and limits."""
        self.forget_expired()
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            # count-then-insert under the lock the login limit uses: 20 uploads at once cannot all see 7
            serialise(session, _JOBS_LOCK)
            pending = session.scalar(select(func.count()).select_from(OutletJob).where(OutletJob.status.in_(PENDING)))
            if (pending or 0) >= self.settings.max_pending:
                raise Busy()
            job = OutletJob(
                id=secrets.token_urlsafe(18),
                status=QUEUED,
                kind=kind,
                created_at=now(),
                queued_at=now(),
                region=region or None,
                rows_total=rows_total,
                rows_read=0,
                rows_priced=0,
                runs=0,
                ticket=1,
                upload=data,
            )
            session.add(job)
            queued = self._enqueue(session, job.id, 1)
        if not queued:
            self.task(job.id, 1)
        self.start_in_process()
        return job.id

    def _enqueue(self, session: Session, job_id: str, ticket: int) -> bool:
        """Put the job's task in huey's table within the caller's transaction, which writes the job's row:
        both are committed or neither, so there is never a job nobody asked for, nor one without its task
        (huey's own ``enqueue`` writes on its own connection, after the row was committed). False for huey
        in memory (an in-memory database), which has no table to share a transaction with."""
        huey = self.huey
        if not isinstance(huey.storage, storage_class()):
            return False
        task = self._task.s(job_id, ticket)
        data = huey.serialize_task(task)
        session.add(HueyTask(queue=huey.storage.name, data=data, priority=float(task.priority or 0)))
        return True

    def get(self, job_id: str, files: bool = False) -> OutletJob | None:
        """The job as it stands, with a stalled one recovered first (its process died)."""
        job = self._load(job_id, files)
        if job is not None and job.status in PENDING and self._stalled(job):
            self.sweep()
            job = self._load(job_id, files)
        if job is not None and job.status in PENDING:
            self.start_in_process()  # jobs left queued by an earlier run of this process are taken now
        return job

    def _load(self, job_id: str, files: bool = False) -> OutletJob | None:
        options = [undefer(OutletJob.upload), undefer(OutletJob.result)] if files else []
        with Session(self.engine, expire_on_commit=False) as session:
            return session.get(OutletJob, job_id, options=options)

    def _stalled(self, job: OutletJob) -> bool:
        limit = now() - timedelta(seconds=self.settings.stale_seconds)
        if job.status == RUNNING:
            beat = aware(job.heartbeat_at)
            return beat is None or beat < limit
        queued = aware(job.queued_at)
        return queued is not None and queued < limit and not self._queued_in_huey(job)

    def _queued_in_huey(self, job: OutletJob) -> bool:
        try:
            return any(task.args == (job.id, job.ticket) for task in self.huey.pending())
        except Exception:  # an unreadable queue entry: assume it is there rather than queue twice
            log.exception("reading huey's queue")
            return True

    def forget_expired(self) -> int:
        """Delete the jobs older than ``OUTLET_RESULT_KEEP_DAYS``, with their uploads and results: both hold
        ID numbers, which are kept no longer than an outlet needs to fetch its result. A finished job counts
        from when it finished; one never finished (stuck for days) from its upload. Returns how many."""
        cutoff = now() - timedelta(days=self.settings.keep_days)
        finished = OutletJob.status.in_((DONE, FAILED)) & (OutletJob.finished_at < cutoff)
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            deleted = session.execute(
                delete(OutletJob)
                .where(finished | (OutletJob.created_at < cutoff))
                .execution_options(synchronize_session=False)
            ).rowcount
        if deleted:
            log.info("deleted %s outlet jobs older than %s days", deleted, self.settings.keep_days)
        return deleted or 0

    @property
    def keep_label(self) -> str:
        """How long results are kept, as the pages say it: 7天, or 12小时 for less than a day."""
        days = self.settings.keep_days
        if days >= 1 and days == int(days):
            return f"{int(days)}天"
        return f"{days * 24:g}小时"

    # ------------------------------------------------------------ the consumer

    def start_in_process(self) -> None:
        """Run huey's consumer as threads of this process (the SQLite default), once."""
        if not self.settings.in_process or (self.consumer is not None and self._consumer_pid == os.getpid()):
            return
        with self._lock:  # a process forked from one that had started it (a preloading server) starts its own
            if self.consumer is None or self._consumer_pid != os.getpid():
                consumer = in_process_consumer()(
                    self.huey, workers=self.settings.workers, worker_type="thread", max_delay=0.5
                )
                consumer.start()
                self.consumer, self._consumer_pid = consumer, os.getpid()

    def stop(self, graceful: bool = True) -> None:
        if self.consumer is not None:
            self.consumer.stop(graceful=graceful)
            self.consumer = None

    def worker(self, workers: int) -> Consumer:
        """A consumer for ``flask outlets worker``: its own process, signals and all."""
        return self.huey.create_consumer(workers=workers, worker_type="thread", max_delay=2.0)

    # ------------------------------------------------------------ recovery

    def sweep(self) -> None:
        """Delete the expired jobs; put back in the queue the jobs whose process died, or end them with a
        Chinese message."""
        self.forget_expired()
        limit = now() - timedelta(seconds=self.settings.stale_seconds)
        with Session(self.engine, expire_on_commit=False) as session:
            running = session.execute(
                select(OutletJob.id, OutletJob.runs, OutletJob.ticket, OutletJob.heartbeat_at).where(
                    OutletJob.status == RUNNING
                )
            ).all()
            queued = session.execute(
                select(OutletJob.id, OutletJob.ticket).where(OutletJob.status == QUEUED, OutletJob.queued_at < limit)
            ).all()
        for job_id, runs, ticket, beat in running:
            beat = aware(beat)
            if beat is not None and beat >= limit:
                continue
            if runs >= self.settings.attempts:
                message = (
                    f"处理这份花名册的进程意外中止，已尝试 {runs} 次仍未完成（可能是文件过大或服务器内存不足）："
                    "请把花名册拆分成几个较小的文件后重新上传。"
                )
                self._finish(job_id, ticket, FAILED, error=(503, "interrupted", message), expect=RUNNING)
                log.warning("outlet job %s ended after %s interrupted runs", job_id, runs)
            elif self._requeue(job_id, ticket, RUNNING):
                log.warning("outlet job %s was interrupted (its process stopped); queued again", job_id)
        if queued:
            waiting = {task.args for task in self.huey.pending()}
            for job_id, ticket in queued:
                if (job_id, ticket) not in waiting and self._requeue(job_id, ticket, QUEUED):
                    log.warning("outlet job %s was missing from the queue; queued again", job_id)

    def _requeue(self, job_id: str, ticket: int, expect: str) -> bool:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            changed = session.execute(
                update(OutletJob)
                .where(OutletJob.id == job_id, OutletJob.ticket == ticket, OutletJob.status == expect)
                .values(status=QUEUED, ticket=ticket + 1, heartbeat_at=None, queued_at=now())
            ).rowcount
            queued = bool(changed) and self._enqueue(session, job_id, ticket + 1)
        if changed and not queued:
            self.task(job_id, ticket + 1)
        return bool(changed)

    # ------------------------------------------------------------ running one job

    def _claim(self, job_id: str, ticket: int) -> OutletJob | None:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            changed = session.execute(
                update(OutletJob)
                .where(OutletJob.id == job_id, OutletJob.ticket == ticket, OutletJob.status == QUEUED)
                .values(
                    status=RUNNING,
                    runs=OutletJob.runs + 1,
                    started_at=now(),
                    heartbeat_at=now(),
                    rows_read=0,
                    rows_priced=0,
                )
            ).rowcount
        return self._load(job_id, files=True) if changed else None

    def _finish(
        self,
        job_id: str,
        ticket: int,
        status: str,
        *,
        result: bytes | None = None,
        summary: str | None = None,
        error: tuple[int, str, str] | None = None,
        counts: tuple[int, int] | None = None,
        expect: str = RUNNING,
    ) -> None:
        values: dict[str, Any] = {"status": status, "finished_at": now(), "upload": None, "result": result}
        values["summary"] = summary
        if counts is not None:  # the summary's own counts, written with the status: never "done" with others
            values["rows_total"] = values["rows_read"] = counts[0]
            values["rows_priced"] = counts[1]
        if error is not None:
            values["error_status"], values["error_code"], values["error_message"] = error
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            session.execute(
                update(OutletJob)
                .where(OutletJob.id == job_id, OutletJob.ticket == ticket, OutletJob.status == expect)
                .values(**values)
            )

    def _execute(self, job_id: str, ticket: int) -> None:
        """huey's task: read, price and write one roster in a child process under the job's budget
        (``budget``), saying how far it got; the worker thread only waits and keeps the heartbeat."""
        from service.core.db import snapshot
        from service.outlets import budget
        from service.outlets.roster import Limits

        with self.app.app_context():
            job = self._claim(job_id, ticket)
            if job is None:  # another ticket owns it now, or it is finished
                return
            data = job.upload or b""
            allowed = budget.Budget(self.settings.job_seconds, self.settings.job_memory_mb)
            limits = Limits.from_config(self.app.config)
            with self._heartbeat(job_id, ticket, job.rows_total) as progress:
                try:
                    priced = budget.price(data, snapshot(), limits, job.region, progress.read, allowed, job.kind)
                except budget.Refused as error:
                    if isinstance(error, budget.OverBudget):
                        log.warning("outlet job %s stopped: %s", job_id, error.code)
                    self._finish(job_id, ticket, FAILED, error=(error.status, error.code, error.message))
                    return
                except Exception:
                    log.exception("outlet job %s failed", job_id)
                    self._finish(job_id, ticket, FAILED, error=(500, "internal", INTERNAL))
                    return
                progress.done(priced.rows, priced.accepted)
            counts = (priced.rows, priced.accepted)
            self._finish(job_id, ticket, DONE, result=priced.result, summary=priced.summary, counts=counts)

    @contextmanager
    def _heartbeat(self, job_id: str, ticket: int, total: int) -> Iterator[Progress]:
        """Progress counted in memory and written, with the heartbeat, every few seconds by a small thread."""
        progress = Progress(total)
        stop = threading.Event()
        interval = max(0.2, min(5.0, self.settings.stale_seconds / 4))

        def beat() -> None:
            while not stop.wait(interval):
                self._write_progress(job_id, ticket, progress)

        thread = threading.Thread(target=beat, name=f"heartbeat-{job_id[:6]}", daemon=True)
        thread.start()
        try:
            yield progress
        finally:
            stop.set()
            thread.join()
            self._write_progress(job_id, ticket, progress)

    def _write_progress(self, job_id: str, ticket: int, progress: Progress) -> None:
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                session.execute(
                    update(OutletJob)
                    .where(OutletJob.id == job_id, OutletJob.ticket == ticket, OutletJob.status == RUNNING)
                    .values(
                        heartbeat_at=now(),
                        rows_total=progress.total,
                        rows_read=progress.rows_read,
                        rows_priced=progress.rows_priced,
                    )
                )
        except Exception:  # a busy database must not end the job: the next beat tries again
            log.exception("writing the progress of outlet job %s", job_id)


class Progress:
    """Rows read and priced so far: one set of counts, which the API, the page and (at the end) the summary
    all show (issue 19, defect 7: the page, the API and the summary each counted differently).

    ``total``: rows to read. Until the reader has found the header it is the upload's count of rows holding
    something (title and header rows too); then the reader's count of rows below the header; at the end the
    summary's 读取 N 行 (rows holding something: blank rows are skipped). ``rows_read`` climbs to it.
    ``rows_priced``: rows priced (计费), known once the engine has priced the roster: the summary's count.
    """

    def __init__(self, total: int):
        self.total, self.rows_read, self.rows_priced = total, 0, 0

    def read(self, step: int, total: int) -> None:
        self.rows_read += step
        self.total = total

    def done(self, rows: int, accepted: int) -> None:
        self.total = self.rows_read = rows
        self.rows_priced = accepted


def jobs() -> Jobs:
    from flask import current_app

    return current_app.extensions["outlet_jobs"]


def init_app(app: Flask) -> None:
    manager = Jobs(app)
    app.extensions["outlet_jobs"] = manager
    if manager.settings.in_process:
        manager.forget_expired()  # an app that ran no consumer for a while (no uploads) deletes them at start
        with Session(manager.engine) as session:
            left = session.scalar(select(OutletJob.id).where(OutletJob.status.in_(PENDING)).limit(1))
        if left is not None:  # jobs of an earlier run of the app: take them up (and recover the interrupted)
            manager.start_in_process()
            manager.sweep()
