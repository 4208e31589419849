"""Raising a version's trust honestly (issue 25): one administrator attaches the notice's verbatim sentence and
the page it was read on; another approves or refuses it (four eyes); every step is audited.

A proposal is a row of ``trust_raise`` (pending). Approval writes, in one transaction, a new version that
supersedes the one proposed on (the store stays append-only): the same figures, 官方原文, and the chosen
reference holding the text (``excerpt``, ``excerpt_url``, ``excerpt_note``, who attached it and when). Refusal
keeps the reason. A version corrected or withdrawn meanwhile cannot be raised: the proposal is refused as stale.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from rates import audit, excerpts
from rates.audit import audit_target, audit_view
from rates.errors import Problem, PublishError, StaleError
from rates.families import FAMILIES, compiled_only
from rates.model import Version
from rates.publish import _lock, parse_proposal
from rates.rows import Base, VersionRow, row_to_version, version_to_row
from rates.store import ParameterStore
from rates.transfer.tree import version_body

PENDING, APPROVED, REFUSED = "pending", "approved", "refused"
STATUS_LABELS = {PENDING: "待核准", APPROVED: "已核准", REFUSED: "已驳回"}
REASON_LIMIT = 500
SAME_ADMIN = "须由另一位管理员核准：提出申请的管理员不能核准自己的申请（四眼原则）。"
GONE = "该版本已被更正或撤回，此申请已不适用：请驳回，并对在用版本重新提交。"


class TrustRaiseRow(Base):
    __tablename__ = "trust_raise"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("parameter_version.id"), index=True)
    reference_index: Mapped[int] = mapped_column(Integer, default=0)  # which of the version's references
    excerpt: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # why a figure is not in the sentence
    proposed_by: Mapped[str] = mapped_column(String(80))
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), index=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # the reviewer's words (a refusal's why)
    result_version_id: Mapped[int | None] = mapped_column(ForeignKey("parameter_version.id"), nullable=True)


@dataclass(frozen=True)
class Raise:
    """A proposal as the pages and the API show it."""

    id: int
    version_id: int
    reference_index: int
    excerpt: str
    url: str
    government_site: bool
    note: str | None
    proposed_by: str
    proposed_at: datetime
    status: str
    status_label: str
    reviewed_by: str | None
    reviewed_at: datetime | None
    reason: str | None
    result_version_id: int | None

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for name in ("proposed_at", "reviewed_at"):
            data[name] = data[name].isoformat() if data[name] else None
        return data


def _utc(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def _view(row: TrustRaiseRow) -> Raise:
    return Raise(
        id=row.id,
        version_id=row.version_id,
        reference_index=row.reference_index,
        excerpt=row.excerpt,
        url=row.url,
        government_site=excerpts.government_site(row.url),
        note=row.note,
        proposed_by=row.proposed_by,
        proposed_at=_utc(row.proposed_at) or datetime.now(UTC),
        status=row.status,
        status_label=STATUS_LABELS.get(row.status, row.status),
        reviewed_by=row.reviewed_by,
        reviewed_at=_utc(row.reviewed_at),
        reason=row.reason,
        result_version_id=row.result_version_id,
    )


def _audit_after(row: TrustRaiseRow) -> dict[str, Any]:
    """What the audit log keeps of a proposal: the text, the page, the note, who and the outcome."""
    view = _view(row).to_json()
    return {key: view[key] for key in ("id", "version_id", "excerpt", "url", "note", "status", "reason")}


def raises(store: ParameterStore, status: str | None = None, version_id: int | None = None) -> list[Raise]:
    """The proposals, newest first; only those of ``status`` or of one version when given."""
    query = select(TrustRaiseRow).order_by(TrustRaiseRow.id.desc())
    if status:
        query = query.where(TrustRaiseRow.status == status)
    if version_id is not None:
        query = query.where(TrustRaiseRow.version_id == version_id)
    with Session(store.engine) as session:
        return [_view(row) for row in session.scalars(query)]


def raised(version: Version, index: int, excerpt: str, url: str, note: str | None, by: str, at: datetime) -> Version:
    """``version`` as 官方原文 with reference ``index`` holding the sentence. Where every source line named only
    compilations, the raised reference's line now begins with the page the sentence was read on."""
    references = list(version.references)
    reference = references[index]
    source = reference.source
    if compiled_only([r.source for r in references]):
        source = f"通知原文见 {url} （原文摘录经管理员核对）；{source}"
    references[index] = dataclasses.replace(
        reference,
        source=source,
        excerpt=excerpt,
        excerpt_url=url,
        excerpt_note=note,
        excerpt_by=by,
        excerpt_at=at.isoformat(timespec="seconds"),
    )
    return dataclasses.replace(
        version, trust="official", references=tuple(references), id=None, supersedes=None, recorded_at=None
    )


def check(version: Version, index: int, excerpt: str, url: str, note: str | None) -> list[Problem]:
    """Why a proposal cannot be made, each in Chinese naming its field (empty: it can)."""
    problems = []
    if version.withdrawn:
        problems.append(Problem("version", "已撤回的版本不能提升可信度。"))
    if version.trust == "official" and excerpts.held(version.references):
        problems.append(Problem("version", "该版本已标为官方原文，并存有原文摘录。"))
    if not 0 <= index < len(version.references):
        problems.append(Problem("reference_index", f"依据文件：请选择第1至第{len(version.references)}个依据文件。"))
    if not excerpt.strip():
        problems.append(Problem("excerpt", "原文摘录：请粘贴通知中载有该数字的原句（逐字），不能为空。"))
    elif len(excerpt) > excerpts.EXCERPT_LIMIT:
        problems.append(Problem("excerpt", f"原文摘录：最多{excerpts.EXCERPT_LIMIT}个字，摘录载有数字的句子即可。"))
    if not url.strip() or len(url) > excerpts.URL_LIMIT or not excerpts.http_url(url):
        problems.append(Problem("url", "原文网址：须为 http:// 或 https:// 开头的网址（读到这句话的网页）。"))
    if note is not None and len(note) > REASON_LIMIT:
        problems.append(Problem("note", f"说明：最多{REASON_LIMIT}个字。"))
    missing = excerpts.missing_figures(FAMILIES[version.family], version.values, excerpt) if excerpt.strip() else []
    if missing and not note:
        problems.append(
            Problem(
                "excerpt",
                f"原文摘录中没有该版本的数字：{'、'.join(missing)}。请核对摘录的句子；"
                "如原文确实未写该数字（例如按比例计算），请在“说明”中写明原因。",
            )
        )
    return problems


def _validated(version: Version) -> None:
    """The raised version passes every rule a file or a publication must (rates.loader), or nothing is written."""
    parse_proposal(
        version.region, version.family, {"effective_from": str(version.effective_from), **version_body(version)}
    )


def _active(session: Session, version_id: int) -> VersionRow:
    row = session.get(VersionRow, version_id) if 0 < version_id < 2**31 else None
    if row is None:
        raise PublishError([Problem("version", f"找不到编号为{version_id}的参数版本。")])
    replaced = session.scalar(select(VersionRow.id).where(VersionRow.supersedes_id == version_id))
    if replaced is not None or row.withdrawn:
        raise StaleError(f"（{GONE}）")
    return row


def propose(
    store: ParameterStore,
    version_id: int,
    excerpt: str,
    url: str,
    note: str | None,
    actor: str,
    address: str | None = None,
    reference_index: int = 0,
) -> int:
    """Record a pending raise of a version in force, with its audit entry; the proposal's id."""
    excerpt, url, note = excerpt.strip(), url.strip(), (note or "").strip() or None
    with Session(store.engine) as session, session.begin():
        row = _active(session, version_id)
        version = row_to_version(row)
        problems = check(version, reference_index, excerpt, url, note)
        pending = select(TrustRaiseRow.id).where(
            TrustRaiseRow.version_id == version_id, TrustRaiseRow.status == PENDING
        )
        if session.scalar(pending) is not None:
            problems.append(Problem("version", "该版本已有待核准的申请：请先核准或驳回那一份。"))
        if problems:
            raise PublishError(problems)
        now = datetime.now(UTC)
        _validated(raised(version, reference_index, excerpt, url, note, actor, now))
        proposal = TrustRaiseRow(
            version_id=version_id,
            reference_index=reference_index,
            excerpt=excerpt,
            url=url,
            note=note,
            proposed_by=actor[:80],
            proposed_at=now,
            status=PENDING,
        )
        session.add(proposal)
        session.flush()
        audit.record(session, actor, "trust_propose", audit_target(version), None, _audit_after(proposal), address)
        return proposal.id


def _pending(session: Session, raise_id: int) -> TrustRaiseRow:
    proposal = session.get(TrustRaiseRow, raise_id) if 0 < raise_id < 2**31 else None  # ids are 32-bit integers
    if proposal is None:
        raise PublishError([Problem("raise", f"找不到编号为{raise_id}的申请。")])
    if proposal.status != PENDING:
        raise StaleError(f"（此申请{STATUS_LABELS.get(proposal.status, proposal.status)}）")
    return proposal


def approve(
    store: ParameterStore, raise_id: int, actor: str, address: str | None = None, remark: str | None = None
) -> int:
    """Approve a pending raise (another administrator): the new 官方原文 version's id, written with its audit entry."""
    remark = (remark or "").strip()[:REASON_LIMIT] or None
    try:
        with Session(store.engine) as session, session.begin():
            first = session.get(TrustRaiseRow, raise_id) if 0 < raise_id < 2**31 else None
            target = session.get(VersionRow, first.version_id) if first is not None else None
            _lock(session, [target.region] if target is not None else [])
            proposal = _pending(session, raise_id)
            if proposal.proposed_by == actor:
                raise PublishError([Problem("reviewer", SAME_ADMIN)])
            row = _active(session, proposal.version_id)
            version = row_to_version(row)
            at = _utc(proposal.proposed_at) or datetime.now(UTC)
            new = raised(
                version,
                proposal.reference_index,
                proposal.excerpt,
                proposal.url,
                proposal.note,
                proposal.proposed_by,
                at,
            )
            _validated(new)
            new = dataclasses.replace(new, origin=f"trust raise {proposal.id}")
            stored = version_to_row(new, actor, supersedes=row.id)
            session.add(stored)
            session.flush()
            proposal.status, proposal.reviewed_by, proposal.reviewed_at = APPROVED, actor[:80], datetime.now(UTC)
            proposal.reason, proposal.result_version_id = remark, stored.id
            after = {**audit_view(row_to_version(stored)), "raise": _audit_after(proposal)}
            audit.record(session, actor, "trust_approve", audit_target(version), audit_view(version), after, address)
            return stored.id
    except IntegrityError:
        raise StaleError(f"（{GONE}）") from None


def refuse(store: ParameterStore, raise_id: int, reason: str, actor: str, address: str | None = None) -> None:
    """Refuse a pending raise with the reviewer's reason (any administrator, the proposer withdrawing it too)."""
    reason = reason.strip()
    if not reason:
        raise PublishError([Problem("reason", "驳回理由：请写明驳回的原因（如：句子与原文不符、网址打不开）。")])
    if len(reason) > REASON_LIMIT:
        raise PublishError([Problem("reason", f"驳回理由：最多{REASON_LIMIT}个字。")])
    with Session(store.engine) as session, session.begin():
        proposal = _pending(session, raise_id)
        before = _audit_after(proposal)
        proposal.status, proposal.reviewed_by, proposal.reviewed_at = REFUSED, actor[:80], datetime.now(UTC)
        proposal.reason = reason
        target = session.get(VersionRow, proposal.version_id)
        name = audit_target(row_to_version(target)) if target is not None else f"version/{proposal.version_id}"
        audit.record(session, actor, "trust_refuse", name, before, _audit_after(proposal), address)


def pending_for(store: ParameterStore, version_ids: Sequence[int]) -> set[int]:
    """Which of these versions have a pending raise (the admin overview marks them)."""
    if not version_ids:
        return set()
    query = select(TrustRaiseRow.version_id).where(
        TrustRaiseRow.status == PENDING, TrustRaiseRow.version_id.in_(list(version_ids))
    )
    with Session(store.engine) as session:
        return set(session.scalars(query))


UNREVIEWED = "：官方原文须经另一位管理员核准。请按“较可靠”发布，再在“提升可信度”中附上通知原句和网址提交申请。"


def unreviewed(version: Version, before: Sequence[Version | None]) -> bool:
    """Whether publishing ``version`` would claim 官方原文 on held text the versions ``before`` it (the one it
    replaces, the one in force) do not hold: that is a trust raise, and a raise is reviewed (four eyes)."""
    known = {(r.excerpt, r.excerpt_url) for v in before if v is not None for r in v.references if r.excerpt}
    new = {(r.excerpt, r.excerpt_url) for r in version.references if r.excerpt}
    return version.trust == "official" and not new <= known
