"""数据时效 for administrators (issue 25): /admin/due, per region and family, the newest figure held, when
the region usually publishes the next, what is overdue this month and which version has lapsed with no
successor (``rates.freshness``; ``flask rates due`` prints the same lines)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from rates.freshness import Freshness, freshness, report_lines
from rates.months import Month
from rates.store import Snapshot
from service.api.base import current_month
from service.core.auth import login_required
from service.core.db import snapshot

bp = Blueprint("admin_due", __name__, url_prefix="/admin")


def due_rows(snap: Snapshot, month: Month) -> list[Freshness]:
    """The 数据时效 of every region and family holding versions of its own (superseded ones left out)."""
    return freshness([v for v in snap.all_versions if not snap.is_superseded(v)], month)


def region_names(snap: Snapshot) -> dict[str, str]:
    return {code: region.name for code, region in snap.regions.items()}


@bp.get("/due")
@login_required("clerk")
def due() -> str:
    snap, month = snapshot(), current_month()
    asked = request.args.get("month", "")
    try:
        month = Month.parse(asked) if asked else month
    except ValueError:
        asked = ""
    rows = due_rows(snap, month)
    names = region_names(snap)
    return render_template(
        "admin/due.html",
        rows=rows,
        names=names,
        month=str(month),
        late=[row for row in rows if row.overdue or row.lapsed],
        lines=report_lines(rows, names, only_due=True),
    )
