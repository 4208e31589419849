"""A month takes the plan of the month before it only where resolving it afresh gives the same (``calc.pricing.Plans``).

Ranges of every region, scheme and variant of the answer space, over a year and over three (across the
changes of figures at each year's publication, carry-overs and the months nothing is configured), priced
as the service prices them and with every month resolved afresh: the same lines, versions and refusals.
"""

from __future__ import annotations

import dataclasses

import pytest

from calc import pricing
from calc.quote import QuoteError, QuoteRequest, price
from rates.months import Month
from rates.store import NotConfigured, Snapshot
from service.api.schemas import CalculateRequestSchema
from tests.sweep import space
from tests.sweep.probe import TALLY


def _priced(snap: Snapshot, request: QuoteRequest) -> object:
    try:
        quote = price(snap, request)
    except QuoteError as error:
        return (error.field, error.code, error.message)
    return (quote.lines, quote.used, quote.total)


def test_months_taken_from_the_month_before_price_as_months_resolved_afresh(
    snap: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = CalculateRequestSchema()
    asked: list[QuoteRequest] = []
    for group in space.sample(space.groups(list(space.calc_points(snap))), 300, salt="plans", full=4000):
        request = schema.load(group.ask().body())
        asked += [request, dataclasses.replace(request, end=request.start + 35)]
    served = [_priced(snap, request) for request in asked]
    # every month resolved on its own: none taken from the month before, no run past the month itself
    monkeypatch.setattr(pricing.Plans, "_holds", lambda *args: None)
    run = pricing.Plans.run
    monkeypatch.setattr(pricing.Plans, "run", lambda plans, month: (*run(plans, month)[:2], month.index() + 1))
    afresh = [_priced(snap, request) for request in asked]
    differing = [str(request) for request, one, other in zip(asked, served, afresh, strict=True) if one != other]
    assert not differing, "\n".join(differing[:20])
    priced = sum(isinstance(answer, tuple) and isinstance(answer[0], list) for answer in served)
    assert priced > len(asked) // 2  # most are priced (the rest: refusals, compared as well)
    TALLY.add("plans", len(asked))


def test_a_lookup_finds_the_same_in_every_month_before_its_bound(snap: Snapshot) -> None:
    """``Resolved.steady_before``, which lets a month take its plan without a lookup, never runs past a change:
    every region and family (with each scheme a version is dated for), every month from 2023 to 2027, asked
    plainly in every month up to the bound (or two years on)."""
    schemes = [*sorted({s for v in snap.all_versions for s in v.effective_by_scheme}), None]
    families = sorted({v.family for v in snap.all_versions})
    asked = [(r, f, s) for r in sorted(snap.regions) for f in families for s in schemes]
    months = list(Month(2023, 1).until(Month(2027, 12)))
    checked = 0
    for region, family, scheme in space.sample(asked, 300, salt="steady", full=4000):
        for month in months:
            try:
                found = snap.at(region, family, month, scheme)
            except NotConfigured:
                continue
            assert found.steady_before > month.index()
            for later in month.until(Month(2027, 12)):
                if later.index() >= min(found.steady_before, month.index() + 24):
                    break
                assert snap.at(region, family, later, scheme) == found, (region, family, scheme, month, later)
                checked += 1
    assert checked
    TALLY.add("steady lookups", checked)
