"""huey on the app's database: its SQL storage on the ``huey_*`` tables, surviving a database restart; the
peewee connection; the consumer as threads of the app's process; and the job settings.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from service.outlets.budget import DEFAULT_MEMORY_MB, DEFAULT_SECONDS

if TYPE_CHECKING:  # huey and peewee are imported when a job is queued or a worker starts, not by every start
    from peewee import Database

log = logging.getLogger(__name__)


@functools.cache
def storage_class() -> type:
    """huey's SQL storage on the tables above (its defaults, kv and task, are names too plain to share a schema)."""
    from huey.contrib.sql_huey import SqlStorage

    class Storage(SqlStorage):  # type: ignore[misc]
        def create_models(self) -> tuple[Any, ...]:
            models = super().create_models()
            for model in models:
                model._meta.set_table_name(f"huey_{model._meta.table_name}")
            return models

    for name in _STORAGE_CALLS:
        setattr(Storage, name, _reconnecting(getattr(SqlStorage, name)))
    return Storage


# huey's storage calls a consumer or this module makes; each gets one retry on a fresh connection
_STORAGE_CALLS = (
    "enqueue",
    "dequeue",
    "queue_size",
    "enqueued_items",
    "flush_queue",
    "add_to_schedule",
    "read_schedule",
    "schedule_size",
    "scheduled_items",
    "put_data",
    "peek_data",
    "pop_data",
    "has_data_for_key",
    "put_if_empty",
    "incr",
    "delete_counter",
)


def _reconnecting(method: Any) -> Any:
    """A storage call that survives the database's restart.

    peewee keeps one connection per thread and huey only checks it with ``is_connection_usable``, which
    a connection the server dropped still passes (psycopg learns of the drop at its next query): every
    thread's first call after a restart then failed, and the web side answered 500. A failed call outside
    a transaction now drops the connection and runs once more on a new one. Running twice is harmless:
    a dequeue that failed committed nothing, and a task queued twice runs once (the job's ticket).
    """
    from peewee import InterfaceError, OperationalError

    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (OperationalError, InterfaceError):
            database = self.database
            if database.in_transaction():
                raise
            try:
                database.close()
            except Exception:  # closing a dead connection may fail too: forget it instead
                database._state.reset()
            log.warning("huey's database connection was lost; trying again on a new connection")
            return method(self, *args, **kwargs)

    return call


@dataclass(frozen=True)
class Settings:
    in_process: bool
    workers: int
    max_pending: int
    stale_seconds: float
    attempts: int
    keep_days: float  # finished jobs, their uploads and results, are deleted after this many days
    job_seconds: float
    job_memory_mb: int

    @classmethod
    def from_config(cls, config: Any, sqlite: bool) -> Settings:
        """App config keys, or the environment variables of the same name (a worker is started from a shell)."""

        def setting(key: str, default: Any) -> Any:
            value = config.get(key, os.environ.get(key))
            return default if value is None or value == "" else value

        in_process = setting("OUTLET_JOBS_IN_PROCESS", None)
        if isinstance(in_process, str):
            in_process = in_process.strip().lower() in ("1", "true", "yes", "on")
        return cls(
            sqlite if in_process is None else bool(in_process),
            int(setting("OUTLET_JOB_WORKERS", 1)),
            int(setting("OUTLET_MAX_PENDING_JOBS", 8)),
            float(setting("OUTLET_JOB_STALE_SECONDS", 60)),
            int(setting("OUTLET_JOB_ATTEMPTS", 2)),
            float(setting("OUTLET_RESULT_KEEP_DAYS", 7)),
            float(setting("OUTLET_JOB_SECONDS", DEFAULT_SECONDS)),
            int(setting("OUTLET_JOB_MEMORY_MB", DEFAULT_MEMORY_MB)),
        )


def peewee_database(url: str) -> Database | None:
    """The app's database for peewee (huey's storage); None for an in-memory SQLite database."""
    from peewee import PostgresqlDatabase, SqliteDatabase

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            return None
        return SqliteDatabase(parsed.database, pragmas={"journal_mode": "wal", "busy_timeout": 30_000})
    if parsed.get_backend_name() == "postgresql":
        options = {key: value for key, value in parsed.query.items() if isinstance(value, str)}
        return PostgresqlDatabase(
            parsed.database,
            user=parsed.username,
            password=parsed.password,
            host=parsed.host,
            port=parsed.port,
            prefer_psycopg3=True,
            **options,
        )
    raise ValueError(f"后台任务不支持该数据库：{parsed.get_backend_name()}")


@functools.cache
def in_process_consumer() -> type:
    """huey's consumer as threads of the app's process: the app's server owns the signals, not huey."""
    from huey.consumer import Consumer

    class InProcessConsumer(Consumer):  # type: ignore[misc]
        def _set_signal_handlers(self) -> None:
            pass

    return InProcessConsumer
