"""The audit log: one row per write, with who, when, what, the state before and after, and from where.

Rows are only ever inserted, in the same transaction as the write they describe, so a write and
its audit entry land together or not at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from rates.model import Version
from rates.rows import Base

ACTION_LABELS = {
    "publish": "发布新版本",
    "correct": "更正（取代原版本）",
    "withdraw": "撤回版本",
    "import": "导入参数",
    "user_create": "创建账号",
    "user_password": "修改密码",
    "user_disable": "停用账号",
    "user_enable": "启用账号",
    "login_failed": "登录失败",
    "login_throttled": "登录被拒（失败次数过多）",
    "login": "登录",
    "logout": "退出登录",
    "quote_issue": "出具测算单",
    "trust_propose": "提出提升可信度（附原文摘录）",
    "trust_approve": "核准提升可信度（官方原文）",
    "trust_refuse": "驳回提升可信度",
}


class AuditRow(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    after: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    action_label: str
    target: str
    before: Any
    after: Any
    address: str | None


def record(
    session: Session,
    actor: str,
    action: str,
    target: str,
    before: Any = None,
    after: Any = None,
    address: str | None = None,
) -> AuditRow:
    """Add an audit row to the caller's transaction."""
    row = AuditRow(
        at=datetime.now(UTC),
        actor=actor[:80],
        action=action,
        target=target[:200],
        before=None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
        after=None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True),
        address=(address or None) and address[:64],
    )
    session.add(row)
    return row


def entries(
    session: Session, limit: int | None = None, action: str | None = None, actor: str | None = None
) -> list[AuditEntry]:
    """The newest entries first; only those of ``action`` and ``actor`` when given."""
    query = select(AuditRow).order_by(AuditRow.id.desc())
    if action:
        query = query.where(AuditRow.action == action)
    if actor:
        query = query.where(AuditRow.actor == actor)
    if limit is not None:
        query = query.limit(limit)
    return [
        AuditEntry(
            id=row.id,
            at=row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC),
            actor=row.actor,
            action=row.action,
            action_label=ACTION_LABELS.get(row.action, row.action),
            target=row.target,
            before=json.loads(row.before) if row.before else None,
            after=json.loads(row.after) if row.after else None,
            address=row.address,
        )
        for row in session.scalars(query)
    ]


def audit_view(version: Version) -> dict[str, Any]:
    """A version as the audit log keeps it: identity and full content."""
    return {
        "id": version.id,
        "region": version.region,
        "family": version.family,
        "effective_from": str(version.effective_from),
        "withdrawn": version.withdrawn,
        **version.payload(),
    }


def audit_target(version: Version) -> str:
    return f"{version.region}/{version.family}/{version.effective_from}"
