"""The outlet batch engine alone (no Excel) on a large roster: rows per second and peak memory.

    .venv/bin/python bench/batch_engine.py [--rows 1000000]

Prices a generated roster with ``calc.batch.price_roster`` and sums it per outlet, next to a floor
measured in the same run: one numpy pass over the same arrays that multiplies each row's month
count by a constant premium and sums per outlet, the least work any vectorised engine must do.
Peak memory is the process's maximum resident set (ru_maxrss) after each stage.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import create_engine

from calc.batch import outlet_totals, price_roster
from rates.loader import load_tree
from rates.months import Month
from rates.store import ParameterStore


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def roster(rows: int) -> tuple[list[str], list[str], np.ndarray, np.ndarray, list[Decimal]]:
    rng = np.random.default_rng(20261123)
    first = Month(2023, 1).index()
    start = first + rng.integers(0, 30, rows)
    end = np.minimum(start + rng.integers(0, 12, rows), Month(2025, 12).index())
    ids = [f"{i:018d}" for i in range(rows)]  # distinct: the engine checks overlaps per ID
    outlets = [f"网点{n}" for n in rng.integers(0, 500, rows)]
    factors = [Decimal(f) for f in rng.choice(["1", "1.2", "0.8", "1.5"], rows)]
    return outlets, ids, start, end, factors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    store = ParameterStore(create_engine("sqlite://"))
    store.create_schema()
    store.load(*load_tree())
    snapshot = store.snapshot()
    outlets, ids, start, end, factors = roster(args.rows)
    base_memory = peak_mib()

    began = time.perf_counter()
    months = end - start + 1
    frame = pd.DataFrame({"outlet": outlets, "amount": months * 6525})
    frame.groupby("outlet", sort=False)["amount"].sum()
    floor_seconds = time.perf_counter() - began
    floor_memory = peak_mib()

    began = time.perf_counter()
    result = price_roster(snapshot, "360100", ids, start, end, factors)
    totals, grand = outlet_totals(outlets, ids, result)
    engine_seconds = time.perf_counter() - began
    engine_memory = peak_mib()
    assert int(result.accepted.sum()) == args.rows and grand.amount_fen > 0

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(
        f"Date {date.today()}, {platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, "
        f"Python {platform.python_version()}, {args.rows:,} rows, {len(totals)} outlets"
    )
    print()
    print("| stage | seconds | rows/s | ratio to floor | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|")
    print(f"| input arrays built (baseline) | | | | {base_memory:.0f} |")
    print(
        f"| floor: one numpy/pandas pass | {floor_seconds:.2f} | {args.rows / floor_seconds:,.0f} | 1.0 | "
        f"{floor_memory:.0f} |"
    )
    print(
        f"| `price_roster` + `outlet_totals` | {engine_seconds:.2f} | {args.rows / engine_seconds:,.0f} | "
        f"{engine_seconds / floor_seconds:.1f} | {engine_memory:.0f} |"
    )


if __name__ == "__main__":
    main()
