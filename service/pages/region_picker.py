"""The region choice of the forms: every province a group, its areas and cities below it.

A province's areas nest (湖北: a tier, then the cities in it) and follow it depth-first; a label repeats
the province ("江西省 · 南昌市") because screen readers do not always read a group's name, and each option
carries the names it can be found by (its own, its province's, its code) for static/js/region-filter.js.
"""

from __future__ import annotations

from typing import Any

from rates.model import NATIONAL
from rates.store import Snapshot


def region_groups(snap: Snapshot) -> list[dict[str, Any]]:
    """[{code, label, options: [{value, label, search}]}], provinces by code, each tree depth-first."""
    children: dict[str | None, list[str]] = {}
    for code, region in sorted(snap.regions.items()):
        children.setdefault(region.parent, []).append(code)
    groups = []
    for province in children.get(NATIONAL, []):
        options: list[dict[str, str]] = []
        pending = [(province, 0)]
        while pending:
            code, depth = pending.pop(0)
            name = snap.regions[code].name
            label = name if depth == 0 else f"{snap.regions[province].name} · {name}"
            options.append({"value": code, "label": label, "search": f"{label} {code}"})
            pending[0:0] = [(child, depth + 1) for child in children.get(code, [])]
        groups.append({"code": province, "label": snap.regions[province].name, "options": options})
    return groups
