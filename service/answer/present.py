"""Domain objects as plain data, shared by the JSON API, the pages and the Excel exports."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from calc.lines import percent as percent
from calc.quote import SCHEMES, Line, Quote, QuoteRequest, Tier, price
from rates.families import FAMILIES, TRUST_LABELS
from rates.model import Reference, Version
from rates.store import Resolved, Snapshot
from service.api.schemas import QuoteSchema

CHINA = ZoneInfo("Asia/Shanghai")  # dates and times are shown as users read them
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROVISIONAL_LABEL = "暂按上年度标准"
# A carry-over the province itself declared, with its document (Resolved.declared_by), as opposed to
# one the service assumes because nothing newer is known.
DECLARED_LABEL = "省里明确暂按上年度标准"
PART_LABELS = {
    "personal_account": "计入个人账户",
    "pooled_fund": "计入统筹基金",
    "fixed_addon": "固定附加费",
    "per_courier": "每人每月",
    "outlet": "网点缴纳",
    "courier": "快递员个人缴纳",
    "personal": "个人缴纳",
    "medical_basic": "基本医疗保险费",
    "medical_supplementary": "附加部分（如大病医疗互助补充保险）",
    "fixed_payment": "每月固定缴费",
    "yearly_tier": "年度缴费标准",
}


# The service's own conventions, held as parameters so that a region may publish its own: while a
# version of them cites no document it is the service's rule (本服务计算规则), not a figure of
# unknown trust, and it does not lower the trust of an answer built from documents.
SERVICE_RULE_FAMILIES = ("base_rounding",)
SERVICE_RULE_LABEL = "本服务计算规则"


def is_service_rule(version: dict[str, Any] | Version) -> bool:
    """A version (or its data, as ``version_data`` and the API write it): the service's convention, citing no 文号."""
    if isinstance(version, Version):
        return version.family in SERVICE_RULE_FAMILIES and not any(r.doc_no for r in version.references)
    return version["family"] in SERVICE_RULE_FAMILIES and not any(r.get("doc_no") for r in version["references"])


def trust_text(version: dict[str, Any] | Version) -> str:
    """The one label of a version's trust on every page, quote and workbook (a stored quote's data included):
    the service's own conventions read 本服务计算规则 wherever they are shown, a document its trust level."""
    if is_service_rule(version):
        return SERVICE_RULE_LABEL
    return TRUST_LABELS[version.trust if isinstance(version, Version) else version["trust"]]


def version_data(snapshot: Snapshot, version: Version, resolved: Resolved | None = None) -> dict[str, Any]:
    region = snapshot.regions.get(version.region)
    return {
        "id": version.id,
        "region": version.region,
        "region_name": region.name if region else version.region,
        "family": version.family,
        "family_label": FAMILIES[version.family].label,
        "effective_from": str(version.effective_from),
        "effective_by_scheme": {k: str(v) for k, v in version.effective_by_scheme.items()},
        "effective_to": str(version.effective_to) if version.effective_to is not None else None,
        "contribution_year": version.contribution_year,
        "values": {k: (format(v.normalize(), "f") if not isinstance(v, str) else v) for k, v in version.values.items()},
        "trust": version.trust,
        "trust_label": trust_text(version),
        "note": version.note,
        "doc_no": version.doc_numbers(),
        "references": [r.to_json() for r in version.references],
        "recorded_at": version.recorded_at.isoformat() if version.recorded_at else None,
        "recorded_by": version.recorded_by,
        "origin": version.origin,
        "supersedes": version.supersedes,
        "withdrawn": version.withdrawn,
        "active": not version.withdrawn and not snapshot.is_superseded(version),
        "provisional": resolved.provisional if resolved else None,
        "declared_by": resolved.declared_by.to_json() if resolved and resolved.declared_by else None,
        "level": resolved.level if resolved else None,
    }


def used_versions(snapshot: Snapshot, used: list[Resolved]) -> list[dict[str, Any]]:
    return [version_data(snapshot, r.version, r) for r in ordered(used)]


_FAMILY_ORDER = {name: i for i, name in enumerate(FAMILIES)}


def ordered(used: list[Resolved]) -> list[Resolved]:
    """The versions an answer cites, in the order of the families, each family's oldest first."""
    return sorted(used, key=lambda r: (_FAMILY_ORDER[r.version.family], r.version.effective_from))


def quote_data(snapshot: Snapshot, quote: Quote, months: bool = True, references: bool = True) -> dict[str, Any]:
    """The answer's data before the dump (``months=False``, ``references=False``: without them,
    ``service.answer.answers`` dumps them itself)."""
    request = quote.request
    notes = []
    declared = declarations(quote.used)
    if any(r.provisional and r.declared_by is None for r in quote.used):
        notes.append(
            f"标注“{PROVISIONAL_LABEL}”的月份尚无本年度公布数据，暂按上年度标准测算，正式标准公布后以实际核定为准。"
        )
    notes += [f"{DECLARED_LABEL}：{d}；正式标准公布后以实际核定为准。" for d in declared]
    notes.extend(quote.notes)
    if any(r.version.trust != "official" and not is_service_rule(r.version) for r in quote.used):
        notes.append("部分参数未取自官方原文（可信度见参数来源），仅供测算参考，以经办机构核定为准。")
    return {
        "region": request.region,
        "region_name": snapshot.regions[request.region].name,
        "scheme": request.scheme,
        "scheme_label": SCHEMES[request.scheme],
        "start": str(request.start),
        "end": str(request.end),
        "base_ratio": request.base_ratio,
        "medical_tier": request.medical_tier,
        "headcount": request.headcount,
        "factor": request.factor,
        **({"months": [month_line(line) for line in quote.lines]} if months else {}),
        "total": quote.total,
        "breakdown": quote.breakdown,
        "provisional": quote.provisional,
        "provisional_declared": declared,
        "notes": notes,
        **({"references": used_versions(snapshot, quote.used)} if references else {}),
    }


def citation(reference: Reference) -> str:
    """A document as users read it: its title and 文号."""
    return f"{reference.title}（{reference.doc_no}）" if reference.doc_no else reference.title


def declarations(used: list[Resolved]) -> list[str]:
    """The documents by which the provinces declared the carry-overs a quote used (省里明确暂按上年度标准)."""
    found = [citation(r.declared_by) for r in used if r.provisional and r.declared_by is not None]
    return list(dict.fromkeys(found))


def month_line(line: Line) -> dict[str, Any]:
    """A month of the answer before the dump."""
    return {
        "month": str(line.month),
        "year": line.year,
        "base": line.base,
        "rate": line.rate,
        "amount": line.amount,
        "breakdown": line.parts,
        "provisional": line.provisional,
        "version": line.versions,
    }


def tier_data(tier: Tier) -> dict[str, Any]:
    return {
        "ratio": tier.ratio,
        "percent": tier.label or percent(tier.ratio),
        "note": tier.note,
        "base": tier.base,
        "monthly": tier.monthly,
        "yearly": tier.yearly,
        "provisional": tier.provisional,
        "unavailable": tier.unavailable,
        "yearly_unavailable": tier.yearly_unavailable,
    }


def quote_answer(snapshot: Snapshot, request: QuoteRequest) -> dict[str, Any]:
    """The whole answer to a request through marshmallow's own dump (every amount a two-decimal string):
    what ``service.answer.answers`` must give, field by field (``tests/test_answers.py``)."""
    return QuoteSchema().dump(quote_data(snapshot, price(snapshot, request)))  # type: ignore[no-any-return]
