"""An outlet roster's rows are priced as /calculate prices one courier (headcount 1) with the row's months
and factor: every region holding the outlet scheme, every month it covers (and one beyond), every factor.
The roster goes through the batch's own reading and pricing (``service.outlets.job.run``, what the
background job runs), in-process."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from calc.batch import month_totals, yuan
from rates.months import Month
from rates.store import Snapshot
from service.outlets.files import Limits
from service.outlets.job import run
from tests.outlets_support import HEADERS, finished, make_credit_code, make_id, workbook_bytes
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
            for factor in (*FACTORS, *space.province_floats(snap, region, month))
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
        problems += month_problems(client, outcome.roster, result, asks)
        problems += job_problems(
            client,
            workbook_bytes([*rows, ["扫测网点", "", "错号", "123", "2025-01", "2025-01", "1", ""]]),
            region,
            outcome.summary(),
        )
    assert probe.TALLY.parts.get("outlet rows"), "no region holds the outlet scheme: nothing swept"
    assert not problems, "\n".join(problems[:40])


def job_problems(client: FlaskClient, data: bytes, region: str, direct: dict[str, Any]) -> list[str]:
    """The same roster (and one bad row) as a background job through the page: one set of counts on the page,
    in the API and in the summary (issue 19, defect 7), and the money of the batch's own pricing."""
    where = f"outlet job {region}"
    answer = client.post("/outlets", data={"file": (io.BytesIO(data), "r.xlsx"), "region": region})
    if answer.status_code != 303:
        return [f"{where}: {answer.status_code} {answer.get_data(as_text=True)[:300]}"]
    page = answer.headers["Location"]
    job = finished(client, client.get(page.replace("/outlets/jobs/", "/api/v1/outlets/jobs/")).get_json())
    probe.TALLY.add("outlet jobs")
    if job["status"] != "done":
        return [f"{where}: the job ended {job['status']}: {job.get('error')}"]
    summary, problems = job["summary"], []
    if summary["total"]["amount"] != str(direct["total"]["amount"]) or summary["accepted"] != direct["accepted"]:
        problems.append(f"{where}: the job's total {summary['total']} is not the batch's {direct['total']}")
    if summary["accepted"] != direct["accepted"] + 0 or summary["rejected"] != direct["rejected"] + 1:
        problems.append(f"{where}: {summary['accepted']} priced, {summary['rejected']} refused; one bad row added")
    if not job["rows_total"] == job["rows_read"] == summary["rows"] or job["rows_priced"] != summary["accepted"]:
        counts = {k: job[k] for k in ("rows_total", "rows_read", "rows_priced")}
        problems.append(f"{where}: progress {counts}, summary {summary['rows']} rows, {summary['accepted']} priced")
    done = client.get(page).get_data(as_text=True)
    if f"读取 <strong>{summary['rows']}</strong> 行：计费 <strong>{summary['accepted']}</strong> 行" not in done:
        problems.append(
            f"{where}: the job's page does not say 读取 {summary['rows']} 行：计费 {summary['accepted']} 行"
        )
    return problems


def month_problems(client: FlaskClient, roster: Any, result: Any, asks: list[Ask]) -> list[str]:
    """按月汇总 (issue 23): each month's total is what /calculate answers for one month of each accepted row."""
    _, overall = month_totals(roster.outlets, roster.starts, roster.ends, result)
    expected: dict[str, Decimal] = {}
    for position, ask in enumerate(asks):
        if not result.accepted[position]:
            continue
        for month in Month.parse(ask.start).until(Month.parse(ask.end)):
            one = probe.ask_calc(client, Ask(ask.region, "outlet_injury", str(month), str(month), factor=ask.factor))
            expected[str(month)] = expected.get(str(month), Decimal(0)) + Decimal(one.data["total"])
    found = {str(total.month): yuan(total.amount_fen) for total in overall}
    probe.TALLY.add("outlet months", len(found))
    return [] if found == expected else [f"按月汇总 {found} != /calculate month by month {expected}"]
