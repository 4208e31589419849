"""An outlet roster's rows are priced as /calculate prices one courier (headcount 1) with the row's months
and factor: every region holding the outlet scheme, every month it covers (and one beyond), every factor.
The roster goes through the batch's own reading and pricing (``service.outlets.job.run``, what the
background job runs), in-process."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask import Flask

from calc.batch import yuan
from rates.store import Snapshot
from service.outlets.files import Limits
from service.outlets.job import run
from tests.outlets_support import HEADERS, make_credit_code, make_id, workbook_bytes
from tests.sweep import probe, space
from tests.sweep.space import FACTORS, Ask


def test_every_roster_row_is_what_calculate_answers(sweep_app: Flask, snap: Snapshot) -> None:
    client = sweep_app.test_client()
    problems: list[str] = []
    for region in space.regions(snap):
        if space.covered(snap, region, "outlet_injury") is None:
            continue
        months = space.sweep_months(snap, region, "outlet_injury")
        asks = [
            Ask(region, "outlet_injury", str(month), str(last), factor=factor)
            for month in space.sample(months, 6, f"outlet {region}")
            for last in (month, month + 2)
            for factor in FACTORS
        ]
        rows = [HEADERS]
        for serial, ask in enumerate(asks):
            birth = (date(1980, 1, 1) + timedelta(days=serial)).strftime("%Y%m%d")  # each courier a person
            rows.append(
                [
                    "扫测网点",
                    make_credit_code(region),
                    f"快递员{serial}",
                    make_id(serial, birth=birth),
                    ask.start,
                    ask.end,
                    ask.factor,
                    "",
                ]
            )
        outcome = run(workbook_bytes(rows), snap, Limits(), region)
        result = outcome.result
        for position, ask in enumerate(asks):
            alone = probe.ask_calc(client, ask)
            if alone.ok != bool(result.accepted[position]):
                problems.append(
                    f"outlet row {ask}: accepted {bool(result.accepted[position])}, /calculate {alone.status}"
                )
            elif alone.ok and yuan(result.amount_fen[position]) != Decimal(alone.data["total"]):
                problems.append(
                    f"outlet row {ask}: {yuan(result.amount_fen[position])}, /calculate {alone.data['total']}"
                )
            elif not alone.ok and not probe.CHINESE.search(result.errors.get(position, ("", ""))[1]):
                problems.append(f"outlet row {ask}: refused without a Chinese message: {result.errors.get(position)}")
            probe.TALLY.add("outlet rows")
    assert probe.TALLY.parts.get("outlet rows"), "no region holds the outlet scheme: nothing swept"
    assert not problems, "\n".join(problems[:40])
