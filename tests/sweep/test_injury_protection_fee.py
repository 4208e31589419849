"""职业伤害保障费 (issue 24) for every region: the API and an orders workbook's rows say the same money to the fen,
or refuse with the same Chinese reason; and the same orders as a background job (through the page) count every
row once (read = priced + refused), in its JSON, on its page and in its result workbook."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

import openpyxl
from flask import Flask
from flask.testing import FlaskClient

from rates.store import Snapshot
from service.outlets.files import Limits
from service.outlets.orders import read_and_price
from tests.outlets_support import finished, workbook_bytes
from tests.sweep import probe, space

HEADER = ["月份", "地区", "行业", "单量", "缴费基准额", "浮动系数"]
JOB_REGIONS = 3  # regions whose orders also go through a job (each one a child process)


def _rows(points: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [p["month"], p["region"], p["industry"], p["orders"], p.get("per_order", ""), p.get("factor", "")]
        for p in points
    ]


def test_every_region_prices_the_same_on_the_api_and_in_a_workbook(sweep_app: Flask, snap: Snapshot) -> None:
    client = sweep_app.test_client()
    problems: list[str] = []
    jobs = 0
    for region in space.regions(snap):
        points = space.fee_points(snap, region)
        data = workbook_bytes([HEADER, *_rows(points)])
        orders = read_and_price(data, snap, Limits())
        if len(orders.rows) != len(points):
            problems.append(f"fee {region}: {len(points)} rows written, {len(orders.rows)} read")
            continue
        for point, row in zip(points, orders.rows, strict=True):
            where = f"fee {point}"
            status, raw = probe.post(client, "/api/v1/injury-protection/fee", point)
            answer = json.loads(raw)
            if status >= 500 or (status != 200 and not probe.CHINESE.search(answer["error"]["message"])):
                problems.append(f"{where}: {status} {answer}")
            elif status == 200 and (row.answer is None or f"{row.answer.fee:.2f}" != answer["fee"]):
                problems.append(
                    f"{where}: API {answer['fee']}, workbook row {row.answer and row.answer.fee} {row.reason}"
                )
            elif status == 200 and answer["worker_pays"] != "0.00":
                problems.append(f"{where}: the worker pays {answer['worker_pays']}")
            elif status != 200 and (row.answer is not None or row.reason != answer["error"]["message"]):
                problems.append(f"{where}: API {status} {answer['error']['message']}, workbook row {row.reason!r}")
            probe.TALLY.add("fee rows")
        if jobs < JOB_REGIONS and orders.accepted and orders.rejected:
            jobs += 1
            problems += job_problems(client, data, orders.summary())
    assert probe.TALLY.parts.get("fee rows"), "no region swept"
    assert jobs, "no region had both priced and refused rows for a job"
    assert not problems, "\n".join(problems[:40])


def job_problems(client: FlaskClient, data: bytes, direct: dict[str, Any]) -> list[str]:
    """The same orders through the page as a job: its counts, total and workbook are the direct reading's."""
    answer = client.post("/outlets/orders", data={"file": (io.BytesIO(data), "orders.xlsx")})
    if answer.status_code != 303:
        return [f"orders job: {answer.status_code} {answer.get_data(as_text=True)[:300]}"]
    page = answer.headers["Location"]
    job = finished(client, client.get(page.replace("/outlets/jobs/", "/api/v1/outlets/jobs/")).get_json())
    probe.TALLY.add("fee jobs")
    if job["status"] != "done":
        return [f"orders job ended {job['status']}: {job.get('error')}"]
    summary, problems = job["summary"], []
    if (summary["rows"], summary["accepted"], summary["rejected"]) != (
        direct["rows"],
        direct["accepted"],
        direct["rejected"],
    ) or summary["rows"] != summary["accepted"] + summary["rejected"]:
        problems.append(f"orders job: counts {summary['rows']}/{summary['accepted']}/{summary['rejected']} vs {direct}")
    if summary["total"]["fee"] != f"{direct['total']['fee']:.2f}":
        problems.append(f"orders job: total {summary['total']} vs {direct['total']}")
    if not job["rows_total"] == job["rows_read"] == summary["rows"] or job["rows_priced"] != summary["accepted"]:
        problems.append(f"orders job: progress {job} vs summary")
    html = client.get(page).get_data(as_text=True)
    if f"读取 <strong>{summary['rows']}</strong> 行 = 计费 <strong>{summary['accepted']}</strong> 行" not in html:
        problems.append("orders job: the page does not say its counts")
    book = openpyxl.load_workbook(io.BytesIO(client.get(job["result_url"]).data))
    lines = list(book["明细"].iter_rows(min_row=2, values_only=True))
    fees = sum(Decimal(str(line[8])) for line in lines if line[9] == "已计费")
    if len(lines) != summary["rows"] or f"{fees:.2f}" != summary["total"]["fee"]:
        problems.append(
            f"orders job: 明细 {len(lines)} lines, {fees:.2f}; summary {summary['rows']}, {summary['total']}"
        )
    return problems
