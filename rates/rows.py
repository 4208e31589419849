"""The parameter store's tables: versions and regions as rows, and a version to and from its row.

Below ``rates.store`` (the snapshots, the loads) and ``rates.audit`` (whose table shares ``Base``), so that
the store, the audit log and publishing all build on it and none of them on another in a circle.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from rates import excerpts
from rates.errors import Problem, PublishError
from rates.families import FAMILIES, Kind
from rates.model import Reference, Version
from rates.months import Month

TEXT_KINDS = (Kind.CHOICE, Kind.TABLE)  # values stored as text, not as a decimal


class Base(DeclarativeBase):
    pass


class RegionRow(Base):
    __tablename__ = "region"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    parent: Mapped[str | None] = mapped_column(String(6), nullable=True)


class VersionRow(Base):
    __tablename__ = "parameter_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region: Mapped[str] = mapped_column(String(6), ForeignKey("region.code"), index=True)
    family: Mapped[str] = mapped_column(String(40))
    effective_from: Mapped[date] = mapped_column(Date)
    contribution_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    trust: Mapped[str] = mapped_column(String(10))
    # values, references, note and scheme switches as JSON with decimals as strings (exact)
    payload: Mapped[str] = mapped_column(Text)
    origin: Mapped[str | None] = mapped_column(String(200), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(80))
    # unique: a version is superseded at most once, so two concurrent corrections cannot both land
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("parameter_version.id"), nullable=True, unique=True)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)


def first_day(month: Month) -> date:
    return date(month.year, month.month, 1)


def row_to_version(row: VersionRow) -> Version:
    data = json.loads(row.payload)
    family = FAMILIES[row.family]
    references = tuple(Reference.from_json(r) for r in data["references"])
    values: dict[str, Decimal | str] = {}
    for name, raw in data["values"].items():
        spec = family.field(name)
        values[name] = raw if spec is not None and spec.kind in TEXT_KINDS else Decimal(raw)
    return Version(
        region=row.region,
        family=row.family,
        effective_from=Month(row.effective_from.year, row.effective_from.month),
        values=values,
        references=references,
        # A record stored before issue 25 may claim 官方原文 without held text: it reads as what it can show.
        trust=excerpts.allowed(row.trust, references),
        note=data.get("note"),
        contribution_year=row.contribution_year,
        effective_by_scheme={k: Month.parse(v) for k, v in data.get("effective_by_scheme", {}).items()},
        effective_to=Month.parse(data["effective_to"]) if data.get("effective_to") else None,
        origin=row.origin,
        id=row.id,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
        supersedes=row.supersedes_id,
        withdrawn=row.withdrawn,
    )


def version_to_row(version: Version, recorded_by: str, supersedes: int | None = None) -> VersionRow:
    return VersionRow(
        region=version.region,
        family=version.family,
        effective_from=first_day(version.effective_from),
        contribution_year=version.contribution_year,
        trust=version.trust,
        payload=json.dumps(version.payload(), ensure_ascii=False, sort_keys=True),
        origin=version.origin,
        recorded_at=datetime.now(UTC),
        recorded_by=recorded_by,
        supersedes_id=supersedes,
        withdrawn=version.withdrawn,
    )


def active_rows(session: Session) -> dict[tuple[str, str, date], VersionRow]:
    """The records in force (neither superseded nor withdrawn) by (region, family, first day)."""
    rows = list(session.scalars(select(VersionRow)))
    superseded = {r.supersedes_id for r in rows if r.supersedes_id is not None}
    return {(r.region, r.family, r.effective_from): r for r in rows if r.id not in superseded and not r.withdrawn}


def same_content(row: VersionRow, version: Version) -> bool:
    """Whether storing ``version`` over ``row`` would change nothing."""
    payload = json.loads(json.dumps(version.payload(), ensure_ascii=False))
    return json.loads(row.payload) == payload and row.trust == version.trust


def check_years(session: Session, touched: set[tuple[str, str]]) -> None:
    """Yearly families: contribution years ascend with the months, as in the bundled files (a publication and a
    load of files alike may break the order)."""
    active = active_rows(session)
    for region, family in sorted(touched):
        if not FAMILIES[family].yearly:
            continue
        rows = sorted((r for k, r in active.items() if k[:2] == (region, family)), key=lambda r: r.effective_from)
        for previous, row in itertools.pairwise(rows):
            if (row.contribution_year or 0) <= (previous.contribution_year or 0):
                raise PublishError(
                    [
                        Problem(
                            "contribution_year",
                            f"缴费年度：{row.effective_from:%Y-%m}起的版本年度（{row.contribution_year}）"
                            f"须晚于{previous.effective_from:%Y-%m}起的版本（{previous.contribution_year}）。",
                        )
                    ]
                )
