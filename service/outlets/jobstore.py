"""The outlet jobs' tables: a job's row (``outlet_job``) and huey's own tables, the statuses, and a job as
the API and the page show it. The queue itself is ``jobqueue``; submitting, running and recovering, ``jobs``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Float, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rates.store import Base

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
PENDING = (QUEUED, RUNNING)
ROSTER, ORDERS = "roster", "orders"
STATUS_LABELS = {QUEUED: "排队等候", RUNNING: "正在处理", DONE: "已完成", FAILED: "未能完成"}
INTERNAL = "处理花名册时发生内部错误，已记录：请稍后重新上传；如仍不行，请联系管理员。"


class OutletJob(Base):
    """One uploaded roster on its way to a result workbook."""

    __tablename__ = "outlet_job"
    __table_args__ = (Index("ix_outlet_job_status", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    # what the upload is: an outlet's courier roster, or a platform's orders (职业伤害保障费); one queue for both
    kind: Mapped[str] = mapped_column(String(10), default=ROSTER, server_default=ROSTER)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # last put in huey's queue
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    region: Mapped[str | None] = mapped_column(String(12), nullable=True)
    # rows counted on the file's XML at the upload (title and header rows too), then the reader's own count
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_priced: Mapped[int] = mapped_column(Integer, default=0)
    runs: Mapped[int] = mapped_column(Integer, default=0)  # times a process started it
    ticket: Mapped[int] = mapped_column(Integer, default=0)  # times it was queued
    # loaded only when asked for (``Jobs.get(..., files=True)``): a poll of the progress needs neither
    upload: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)  # dropped once finished
    result: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    error_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)


# huey's own tables (its SqlStorage, renamed huey_*), made by the migrations like every other table
class HueyTask(Base):
    __tablename__ = "huey_task"
    __table_args__ = (Index("ix_huey_task_priority", "priority", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    queue: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    priority: Mapped[float] = mapped_column(Float, default=0.0)


class HueySchedule(Base):
    __tablename__ = "huey_schedule"
    __table_args__ = (Index("ix_huey_schedule_queue", "queue", "timestamp"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    queue: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    timestamp: Mapped[int] = mapped_column(BigInteger)


class HueyKV(Base):
    __tablename__ = "huey_kv"
    queue: Mapped[str] = mapped_column(String(255), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)


class HueyCounter(Base):
    __tablename__ = "huey_counter"
    queue: Mapped[str] = mapped_column(String(255), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


def now() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes (stored in UTC)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def as_kind(kind: str, message: str) -> str:
    """A message of the shared checks and job as a platform's orders upload reads it: the checks, limits and
    budget speak of a roster (花名册); for an orders file they speak of the orders file (订单文件)."""
    return message.replace("花名册", "订单文件") if kind == ORDERS else message


def view(job: OutletJob) -> dict[str, Any]:
    """A job as the API and the page show it (the summary's money back as Decimal for the page's formats)."""
    data: dict[str, Any] = {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "status_label": STATUS_LABELS[job.status],
        "rows_total": job.rows_total,
        "rows_read": min(job.rows_read, job.rows_total) if job.rows_total else job.rows_read,
        "rows_priced": job.rows_priced,
    }
    if job.summary:
        data["summary"] = json.loads(job.summary)
    if job.status == FAILED:
        data["error"] = {
            "status": job.error_status,
            "code": job.error_code,
            "field": "file" if job.error_code != "unknown_region" else "region",
            "message": as_kind(job.kind, job.error_message or ""),
        }
    return data


def with_decimals(summary: dict[str, Any]) -> dict[str, Any]:
    for total in [summary["total"], *summary["outlets"]]:
        total["amount"] = Decimal(str(total["amount"]))
    return summary
