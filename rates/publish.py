"""Publishing and withdrawing parameter versions: validated, all-or-nothing, audited, race-safe.

The same rules as the bundled files apply (``rates.loader.parse_version``). A publication is one
transaction: every version of a set lands with its audit entry, or nothing does. Races between two
administrators are refused, not merged: the form carries the revision of each (region, family) it
was based on (the newest record id), and the transaction checks it again after taking a lock that
serialises publishers (``BEGIN IMMEDIATE`` on SQLite, a row lock on the region on PostgreSQL). The
UNIQUE ``supersedes_id`` stays as a last line of defence: a version can be superseded only once.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from rates import audit
from rates.audit import audit_target, audit_view
from rates.errors import STALE_MESSAGE as STALE_MESSAGE  # re-exported: callers have always found them here
from rates.errors import Problem as Problem
from rates.errors import PublishError as PublishError
from rates.errors import StaleError as StaleError
from rates.families import FAMILIES, TRUST_LABELS, Family
from rates.loader import _Problem, parse_references, parse_version
from rates.model import Reference, Version
from rates.rows import (
    RegionRow,
    VersionRow,
    active_rows,
    check_years,
    first_day,
    row_to_version,
    same_content,
    version_to_row,
)
from rates.store import NotConfigured, ParameterStore, Snapshot

# The loader speaks English to whoever edits the files; administrators read Chinese.
_TRANSLATIONS: tuple[tuple[str, str], ...] = (
    (r"^missing value$", "必须填写。"),
    (r"^missing value: without the average wage.*$", "未填写月平均工资时，须同时填写公布的缴费基数下限和上限。"),
    (r"^missing value \(needed when basis is (.*)\)$", r"计费方式为\1时必须填写。"),
    (r"^floor above ceiling$", "缴费基数下限不能高于上限。"),
    (r"^a version cannot end before it takes effect$", "截止月份不能早于生效月份。"),
    (r"^not a decimal number: (.*)$", r"不是有效的数字：\1。"),
    (r"^not a finite number: (.*)$", r"须为有限的数字：\1。"),
    (r"^write the number as a quoted string.*$", "数字须写成带引号的文本（保持精确）。"),
    (r"^money must be >= 0 with at most two decimals \(got (.*)\)$", r"金额须不小于0且最多两位小数（填写的是\1）。"),
    (r"^ratio out of range \[(.*), (.*)\]: (.*)$", r"比例须在\1至\2之间（填写的是\3）。"),
    (r"^must be one of (.*?)( \(got .*\))?$", r"须为以下之一：\1。"),
    (r"^not a YYYY-MM month: (.*)$", r"月份须写成YYYY-MM（如2026-01），填写的是\1。"),
    (r"^not a YYYY-MM-DD date: (.*)$", r"日期须写成YYYY-MM-DD，填写的是\1。"),
    (r"^a reference \(title, 文号 where known\) is required$", "必须填写依据文件（标题，有文号的须填文号）。"),
    (r"^a reference needs a title$", "依据文件须有标题。"),
    (r"^must be a mapping with at least a title$", "依据文件须至少有标题。"),
    (r"^unknown key.*$", "不是可识别的项目，请删除。"),
    (r"^floor ratio above ceiling ratio$", "基数下限比例不能高于上限比例。"),
    (r"^personal account share above the rate$", "计入个人账户比例不能高于缴费比例。"),
    (r"^floor above the average wage$", "缴费基数下限不能高于月平均工资。"),
    (r"^ceiling below the average wage$", "缴费基数上限不能低于月平均工资。"),
    (r"^a yearly family needs the year.*$", "须填写缴费年度（如2026）。"),
    (r"^.* is not yearly$", "此类参数不分缴费年度，请不要填写缴费年度。"),
    (r"^unknown scheme.*$", "未知险种。"),
    (r"^a scheme cannot switch before the version takes effect$", "险种切换月份不能早于生效月份。"),
    (r"^must be text.*$", "须为文本。"),
    (
        r"^official claims more than the source line says.*$",
        "来源为公开汇编转引，可信度最高为“较可靠”，不能标为“官方原文”：请改为较可靠，或填写原文的来源。",
    ),
    (
        r"^official needs the notice's verbatim text held.*$",
        "“官方原文”须存有通知原文摘录（原句和所在网页）：请按“较可靠”发布，"
        "再在“提升可信度”中附上原文句子和网址，由另一位管理员核准。",
    ),
    (r"^an excerpt needs its url and a url its excerpt$", "原文摘录和摘录所在网页须同时填写。"),
    (
        r"^the excerpt's url must be an http\(s\) address: (.*)$",
        r"摘录所在网页须为 http:// 或 https:// 开头的网址（填写的是\1）。",
    ),
    (r"^an excerpt is a sentence, at most (\d+) characters$", r"原文摘录最多\1个字，摘录载有数字的句子即可。"),
    (
        r"^an excerpt's note, author or time without the excerpt$",
        "没有原文摘录时，不能填写摘录说明、摘录人或摘录时间。",
    ),
    (
        r"^the excerpt does not contain (.*): say why in excerpt_note$",
        r"原文摘录中没有\1：请核对摘录的句子，或在摘录说明中写明原因。",
    ),
    (r"^'(.*)' is not a field of .*$", r"“\1”不是此类参数的项目。"),
    (r"^must map a scheme to a month$", "须为“险种: 月份”的对应关系。"),
    (r"^each version must be a mapping of values$", "每个版本须为一组取值。"),
    (r"^must be a mapping with a 'values' key$", "文件须以 values: 开头，下列各月份的版本。"),
    (r"^must map at least one YYYY-MM month to a version$", "values 下须至少有一个“YYYY-MM”月份的版本。"),
    (r'^write the month as a quoted "YYYY-MM" string$', '月份须写成带引号的“YYYY-MM”（如 "2026-01"）。'),
    (r"^months must be in ascending order \(after (.*)\)$", r"月份须按先后顺序排列（须晚于\1）。"),
    (r"^contribution years must ascend$", "缴费年度须随月份递增。"),
    (r"^must be a whole number.*$", "须为整数。"),
    (r"^table: .*$", "须为“键=值”的表格，以分号分隔（如 60=139; 60-01=138.4），键的格式和取值范围见说明。"),
)

_KEY_LABELS = {
    "trust": "可信度",
    "contribution_year": "缴费年度",
    "reference": "依据文件",
    "note": "说明",
    "effective_by_scheme": "分险种生效月份",
    "effective_from": "生效月份",
    "effective_to": "截止月份",
    "region": "地区",
    "family": "参数类别",
    "doc_no": "文号",
    "title": "依据文件标题",
    "url": "原文链接",
    "published": "发布日期",
    "source": "来源",
    "excerpt": "原文摘录",
    "excerpt_url": "摘录所在网页",
    "excerpt_note": "摘录说明",
}


def translate(family: Family | None, problem: _Problem) -> Problem:
    """A loader problem as a Chinese message naming the field to fix."""
    text = problem.message
    for pattern, replacement in _TRANSLATIONS:
        if re.match(pattern, text):
            text = re.sub(pattern, replacement, text)
            break
    parts = problem.key.split(".")
    name = parts[1] if len(parts) > 1 else parts[0]
    spec = family.field(name) if family is not None else None
    label = spec.label if spec is not None else _KEY_LABELS.get(name.split("[")[0], name)
    return Problem(name, f"{label}：{text}")


def parse_proposal(region: str, family_name: str, body: Mapping[str, Any], origin: str | None = None) -> Version:
    """Validate one version given as the bundled files write it, plus ``effective_from``."""
    family = FAMILIES.get(family_name)
    if family is None:
        raise PublishError([Problem("family", f"参数类别：未知的类别“{family_name}”。")])
    content = {k: v for k, v in body.items() if k != "effective_from"}
    try:
        return parse_version(region, family, str(body.get("effective_from") or ""), content, origin)
    except _Problem as problem:
        raise PublishError([translate(family, problem)]) from None


def parse_proposals(items: Sequence[Any], origin: str | None = None) -> list[Version]:
    """Several proposals, each a mapping with region and family; every bad item is named (第N项)."""
    versions, problems = [], []
    for index, item in enumerate(items):
        region, family = (item.get("region"), item.get("family")) if isinstance(item, Mapping) else (None, None)
        if not isinstance(region, str) or not isinstance(family, str):
            problems.append(Problem(f"versions[{index}]", f"第{index + 1}项：须有 region 和 family。"))
            continue
        body = {k: v for k, v in item.items() if k not in ("region", "family")}
        try:
            versions.append(parse_proposal(region, family, body, origin))
        except PublishError as error:
            problems += [dataclasses.replace(p, message=f"第{index + 1}项 {p.message}") for p in error.problems]
    if problems:
        raise PublishError(problems)
    return versions


def parse_reference(family_name: str, raw: Mapping[str, Any], need_doc_no: bool) -> Reference:
    """The document a publication or withdrawal rests on; 文号 required when ``need_doc_no``."""
    family = FAMILIES[family_name]
    try:
        (reference,) = parse_references("reference", dict(raw), family)
    except _Problem as problem:
        raise PublishError([translate(family, problem)]) from None
    if need_doc_no and not reference.doc_no:
        raise PublishError([Problem("doc_no", "文号：必须填写依据文件的文号（如 赣人社字〔2025〕150号）。")])
    return reference


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Planned:
    """One version to store, what it replaces and how it differs from what was in force."""

    version: Version
    replaces: Version | None  # the record at the same (region, family, month): superseded
    in_force: Version | None  # the version in force at the month before the publication
    changes: list[Change]
    unchanged: bool


def family_revision(snapshot: Snapshot, region: str, family: str) -> int:
    """The newest record id of (region, family): what a form was based on."""
    return max((v.id or 0 for v in snapshot.all_versions if (v.region, v.family) == (region, family)), default=0)


def _text(value: Decimal | str | None) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else format(value.normalize(), "f")


def _changes(old: Version | None, new: Version) -> list[Change]:
    family = FAMILIES[new.family]
    changes = []
    for spec in family.fields:
        before = _text(old.values.get(spec.name)) if old else None
        after = _text(new.values.get(spec.name))
        if before != after:
            changes.append(Change(spec.name, spec.label, before, after))
    meta = (
        ("contribution_year", "缴费年度", lambda v: None if v.contribution_year is None else str(v.contribution_year)),
        ("trust", "可信度", lambda v: f"{TRUST_LABELS[v.trust]}（{v.trust}）"),
        ("doc_no", "文号", lambda v: v.doc_numbers()),
        ("effective_by_scheme", "分险种生效月份", lambda v: _schemes(v) or None),
        ("effective_to", "截止月份", lambda v: None if v.effective_to is None else str(v.effective_to)),
    )
    for name, label, read in meta:
        before, after = (read(old) if old else None), read(new)
        if before != after:
            changes.append(Change(name, label, before, after))
    return changes


def _schemes(version: Version) -> str:
    return "，".join(f"{k}: {v}" for k, v in sorted(version.effective_by_scheme.items()))


def plan(snapshot: Snapshot, versions: Sequence[Version]) -> list[Planned]:
    """What publishing ``versions`` over ``snapshot`` would do; nothing is written."""
    planned = []
    for version in versions:
        active = snapshot.active(version.region, version.family)
        replaces = next((v for v in active if v.effective_from == version.effective_from), None)
        before = [v for v in active if v.effective_from <= version.effective_from]
        in_force = max(before, key=lambda v: v.effective_from) if before else _inherited(snapshot, version)
        same = replaces is not None and replaces.payload() == version.payload()
        planned.append(Planned(version, replaces, in_force, _changes(in_force, version), same))
    return planned


def _inherited(snapshot: Snapshot, version: Version) -> Version | None:
    """What the region uses from a higher level when it has no version of its own yet (a city's first)."""
    try:
        return snapshot.at(version.region, version.family, version.effective_from).version
    except NotConfigured:
        return None


def preview_snapshot(snapshot: Snapshot, planned: Sequence[Planned]) -> Snapshot:
    """The snapshot as it would be after the publication (for the effect on a sample worker)."""
    extra = [
        dataclasses.replace(p.version, supersedes=p.replaces.id if p.replaces else None)
        for p in planned
        if not p.unchanged
    ]
    return snapshot.with_versions(extra)


@dataclass
class PublishReport:
    inserted: list[int] = field(default_factory=list)
    superseded: int = 0
    unchanged: int = 0


def _lock(session: Session, regions: Iterable[str]) -> None:
    """Serialise publishers; after this, what the transaction reads stays true until it commits."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        return
    codes = sorted(set(regions))  # always the same order: two publishers cannot deadlock
    session.execute(select(RegionRow.code).where(RegionRow.code.in_(codes)).order_by(RegionRow.code).with_for_update())


def _revision(session: Session, region: str, family: str) -> int:
    query = select(func.coalesce(func.max(VersionRow.id), 0)).where(
        VersionRow.region == region, VersionRow.family == family
    )
    return int(session.scalar(query) or 0)


def publish(
    store: ParameterStore,
    versions: Sequence[Version],
    actor: str,
    address: str | None = None,
    based_on: Mapping[tuple[str, str], int] | None = None,
    action: str = "publish",
    allow_unchanged: bool = False,
) -> PublishReport:
    """Store ``versions`` in one transaction, each with its audit entry; all or nothing.

    ``based_on`` maps (region, family) to the family revision the caller saw; any difference
    means someone else published meanwhile and the whole publication is refused (StaleError).
    """
    if not versions:
        raise PublishError([Problem("file", "没有可发布的参数版本。")])
    report = PublishReport()
    touched = {(v.region, v.family) for v in versions}
    try:
        with Session(store.engine) as session, session.begin():
            _lock(session, {v.region for v in versions})
            known = set(session.scalars(select(RegionRow.code)))
            unknown = sorted({v.region for v in versions} - known)
            if unknown:
                raise PublishError([Problem("region", f"地区：未知地区代码“{unknown[0]}”。")])
            for based, revision in (based_on or {}).items():
                if _revision(session, *based) != revision:
                    raise StaleError()
            active = active_rows(session)
            seen: set[tuple[str, str, date]] = set()
            for version in versions:
                key = (version.region, version.family, first_day(version.effective_from))
                if key in seen:
                    raise PublishError(
                        [Problem("effective_from", f"生效月份：{version.effective_from}在本次发布中出现了两次。")]
                    )
                seen.add(key)
                current = active.get(key)
                if current is not None and same_content(current, version):
                    if not allow_unchanged:
                        raise PublishError(
                            [Problem("effective_from", "与在用版本完全相同，无需发布；如需更正，请修改取值或依据。")]
                        )
                    report.unchanged += 1
                    continue
                row = version_to_row(version, actor, supersedes=current.id if current else None)
                session.add(row)
                session.flush()  # the id, and the UNIQUE supersedes_id checked now
                report.inserted.append(row.id)
                before = audit_view(row_to_version(current)) if current else None
                kind = "correct" if current is not None else action
                report.superseded += current is not None
                after = audit_view(row_to_version(row))
                audit.record(session, actor, kind, audit_target(version), before, after, address)
            check_years(session, touched)
    except IntegrityError:
        raise StaleError() from None
    except OperationalError as error:
        if "locked" in str(error).lower() or "serializ" in str(error).lower():
            raise StaleError() from None
        raise
    return report


def withdraw(
    store: ParameterStore,
    version_id: int,
    reference: Reference,
    note: str | None,
    actor: str,
    address: str | None = None,
) -> int:
    """Withdraw a version in force: a new record that supersedes it and carries no values in force."""
    try:
        with Session(store.engine) as session, session.begin():
            row = session.get(VersionRow, version_id)
            if row is None:
                raise PublishError([Problem("version", f"找不到编号为{version_id}的参数版本。")])
            _lock(session, [row.region])
            replaced = session.scalar(select(VersionRow.id).where(VersionRow.supersedes_id == version_id))
            if replaced is not None or row.withdrawn:
                raise StaleError("（此版本已被更正或撤回）")
            target = row_to_version(row)
            withdrawal = dataclasses.replace(
                target, references=(reference,), note=note, withdrawn=True, id=None, origin="admin withdrawal"
            )
            new = version_to_row(withdrawal, actor, supersedes=version_id)
            session.add(new)
            session.flush()
            after = audit_view(row_to_version(new))
            audit.record(session, actor, "withdraw", audit_target(target), audit_view(target), after, address)
            return new.id
    except IntegrityError:
        raise StaleError() from None
