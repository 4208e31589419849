"""What a job's child process runs (``budget``): the batch from bytes to a workbook and a summary.

A module of its own, imported by the fork server once (``set_forkserver_preload``), so that the engine
(numpy, pandas), the reader and the workbook writer are loaded before it forks, not in every child.
"""

from __future__ import annotations

import io
import json
from multiprocessing.connection import Connection

# The engine imports pandas (and through it dateutil) on first use, to spare processes that price no
# roster; here they are loaded in the fork server, not in each child, whose address space is capped: a
# module mapped in a child under its limit can fail to load (ImportError "failed to map segment").
import dateutil.parser  # noqa: F401
import pandas  # noqa: F401

from rates import protection
from rates.store import Snapshot
from service.outlets.job import run
from service.outlets.jobstore import ORDERS
from service.outlets.orders import read_and_price
from service.outlets.orders_report import write_orders_result
from service.outlets.report import write_result
from service.outlets.roster import Limits

protection.bundled()  # the platforms' per-order amounts, parsed once in the fork server, not in every orders job
JSON_ERRORS_SHOWN = 1000  # errors listed in a job's JSON summary (its page shows the first 20 of them)


def run_job(
    data: bytes, snapshot: Snapshot, limits: Limits, region: str | None, send: Connection, kind: str = "roster"
) -> tuple[bytes, str, int, int]:
    """The workbook, the summary (JSON), rows read and rows priced; progress is sent as it goes."""

    def progress(step: int, total: int) -> None:
        send.send(("progress", step, total))

    if kind == ORDERS:
        orders = read_and_price(data, snapshot, limits, progress)
        summary = orders.summary(JSON_ERRORS_SHOWN)
        buffer = io.BytesIO()
        write_orders_result(orders, buffer)
        text = json.dumps(summary, ensure_ascii=False, default=str)
        return buffer.getvalue(), text, summary["rows"], summary["accepted"]

    outcome = run(data, snapshot, limits, region, progress)
    summary = outcome.summary(JSON_ERRORS_SHOWN)
    buffer = io.BytesIO()
    write_result(outcome, buffer)
    text = json.dumps(summary, ensure_ascii=False, default=str)
    return buffer.getvalue(), text, summary["rows"], summary["accepted"]
