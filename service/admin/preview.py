"""What a publication would change, shown before anything is saved.

Two views of the same plan (``rates.publish.plan``): the figures (old value, new value, effective
month) and what they mean for sample people, priced by the engine on the snapshot as it is and as
it would be (``preview_snapshot``): a flexible worker's pension at 60%, 100% and 300%, and an
express outlet's work-injury premium per courier.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from calc.quote import QuoteError, QuoteRequest, price
from rates.families import CHOICE_LABELS, FAMILIES, Field, Kind
from rates.model import NATIONAL, Version
from rates.months import Month
from rates.publish import Planned, preview_snapshot
from rates.store import Snapshot

# (scheme, base ratio, what the row is called): sample people, not parameters
SAMPLES: tuple[tuple[str, Decimal | None, str], ...] = (
    ("flexible_pension", Decimal("0.6"), "灵活就业养老保险 60%档 月缴费"),
    ("flexible_pension", Decimal("1"), "灵活就业养老保险 100%档 月缴费"),
    ("flexible_pension", Decimal("3"), "灵活就业养老保险 300%档 月缴费"),
    ("outlet_injury", None, "快递网点工伤保险 每名快递员每月"),
)
NOT_PRICED = "无法测算"


@dataclass(frozen=True)
class Effect:
    region: str
    region_name: str
    month: str
    label: str
    old: str
    new: str
    changed: bool


@dataclass(frozen=True)
class Row:
    """One version of the plan for the template: every figure (old, new, changed?), then what else changes."""

    region_name: str
    family_label: str
    effective_from: str
    replaces: int | None
    in_force: int | None
    inherited_from: str | None  # the higher level whose version is in force, for a region's first version
    unchanged: bool
    changes: list[tuple[str, str, str, bool]]  # label, old, new, changed


def rows(snapshot: Snapshot, planned: Sequence[Planned]) -> list[Row]:
    result = []
    for p in planned:
        region = snapshot.regions.get(p.version.region)
        result.append(
            Row(
                region_name=region.name if region else p.version.region,
                family_label=FAMILIES[p.version.family].label,
                effective_from=str(p.version.effective_from),
                replaces=p.replaces.id if p.replaces else None,
                in_force=p.in_force.id if p.in_force else None,
                inherited_from=_inherited_from(snapshot, p),
                unchanged=p.unchanged,
                changes=_lines(p),
            )
        )
    return result


def _lines(planned: Planned) -> list[tuple[str, str, str, bool]]:
    """Every figure of the family, unchanged ones too (a figure carried over by mistake must be seen)."""
    family = FAMILIES[planned.version.family]
    old = planned.in_force.values if planned.in_force else {}
    lines = []
    for spec in family.fields:
        before, after = old.get(spec.name), planned.version.values.get(spec.name)
        if before is not None or after is not None:
            lines.append((spec.label, _text(before, spec), _text(after, spec), str(before) != str(after)))
    names = {spec.name for spec in family.fields}
    return lines + [(c.label, c.old or "—", c.new or "—", True) for c in planned.changes if c.field not in names]


def _text(value: object, spec: Field) -> str:
    if value is None:
        return "—"
    return CHOICE_LABELS.get(str(value), str(value)) if spec.kind is Kind.CHOICE else str(value)


def _inherited_from(snapshot: Snapshot, planned: Planned) -> str | None:
    source = planned.in_force
    if source is None or source.region == planned.version.region:
        return None
    region = snapshot.regions.get(source.region)
    return region.name if region else source.region


def affected_regions(snapshot: Snapshot, region: str) -> list[str]:
    """The region and every region inheriting from it (the national level itself prices nothing)."""
    return [code for code in sorted(snapshot.regions) if code != NATIONAL and region in snapshot.chain(code)]


def _amount(snapshot: Snapshot, request: QuoteRequest) -> str:
    try:
        return str(price(snapshot, request).total)
    except QuoteError:
        return NOT_PRICED  # not configured, or the sample tier outside that month's range


def effects(snapshot: Snapshot, planned: Sequence[Planned]) -> list[Effect]:
    """Old and new amounts for the sample people, in each affected region, at each effective month."""
    targets = [(p.version.region, _months(p.version)) for p in planned if not p.unchanged]
    return compare(snapshot, preview_snapshot(snapshot, planned), targets)


def withdrawal_effects(snapshot: Snapshot, version: Version) -> list[Effect]:
    """What withdrawing ``version`` would change: its months fall back on the version before it."""
    withdrawal = dataclasses.replace(version, withdrawn=True, supersedes=version.id, id=None)
    return compare(snapshot, snapshot.with_versions([withdrawal]), [(version.region, _months(version))])


def _months(version: Version) -> list[Month]:
    ends = [version.effective_to + 1] if version.effective_to is not None else []  # what applies after its end
    return sorted({version.effective_from, *version.effective_by_scheme.values(), *ends})


def compare(before: Snapshot, after: Snapshot, targets: Iterable[tuple[str, Iterable[Month]]]) -> list[Effect]:
    seen: set[tuple[str, Month]] = set()
    result = []
    for region, months in targets:
        for code in affected_regions(before, region):
            for month in months:
                if (code, month) in seen:
                    continue
                seen.add((code, month))
                for scheme, ratio, label in SAMPLES:
                    request = QuoteRequest(code, scheme, month, month, base_ratio=ratio)
                    old, new = _amount(before, request), _amount(after, request)
                    name = before.regions[code].name
                    result.append(Effect(code, name, str(month), label, old, new, old != new))
    return result
