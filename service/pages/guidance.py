"""What the 测算 page says when a scheme is not configured: whom to ask, and what the service does know.

Never an estimate: the known figures are those of another scheme (the base range of the pension
scheme, from the province's published average wage), each with its 文号, and are said to be so.
"""

from __future__ import annotations

from typing import Any

from calc.quote import SCHEMES, QuoteError, tiers
from rates.months import Month
from rates.store import Snapshot
from service.answer.present import tier_data, used_versions
from service.api import schemas

MEDICAL = ("flexible_medical", "resident_medical")
# Whom a worker asks (the office where they are insured) and the national hotline of that office.
ASK_MEDICAL = {"office": "参保地医保经办机构", "hotline": "12393", "hotline_name": "全国医保服务热线"}
ASK_SOCIAL = {"office": "参保地社保经办机构", "hotline": "12333", "hotline_name": "全国人社服务热线"}


def where_to_ask(scheme: str) -> dict[str, str]:
    return ASK_MEDICAL if scheme in MEDICAL else ASK_SOCIAL


def known_base_range(snap: Snapshot, region: str, month: Month) -> dict[str, Any] | None:
    """The pension scheme's base range for the month (lowest and highest tier), with its sources, if priced."""
    try:
        rows, used = tiers(snap, region, month, "flexible_pension")
    except QuoteError:
        return None
    if not rows:
        return None
    low, high = tier_data(rows[0]), tier_data(rows[-1])
    return {
        "month": str(month),
        "floor": schemas.TierSchema().dump(low),
        "ceiling": schemas.TierSchema().dump(high),
        "references": schemas.VersionSchema(many=True).dump(used_versions(snap, used)),
        "provisional": low["provisional"] or high["provisional"],
    }


def not_configured(snap: Snapshot, region: str, scheme: str, month: Month, message: str) -> dict[str, Any]:
    """The page's answer to a scheme without a sourced figure: the message, whom to ask, what is known."""
    return {
        "region": region,
        "region_name": snap.regions[region].name,
        "scheme": scheme,
        "scheme_label": SCHEMES.get(scheme, scheme),
        "message": message,
        "ask": where_to_ask(scheme),
        # the worker's medical base is usually set against the same average wage as the pension's
        "known": known_base_range(snap, region, month) if scheme in MEDICAL else None,
    }
