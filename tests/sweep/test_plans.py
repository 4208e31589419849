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
from rates.store import Snapshot
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
    monkeypatch.setattr(pricing, "_finds", lambda *args: False)  # every month resolved on its own
    afresh = [_priced(snap, request) for request in asked]
    differing = [str(request) for request, one, other in zip(asked, served, afresh, strict=True) if one != other]
    assert not differing, "\n".join(differing[:20])
    priced = sum(isinstance(answer, tuple) and isinstance(answer[0], list) for answer in served)
    assert priced > len(asked) // 2  # most are priced (the rest: refusals, compared as well)
    TALLY.add("plans", len(asked))
