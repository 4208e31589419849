"""In-process cost of a year-long price for one worker (12 months), next to its arithmetic floor.

    .venv/bin/python bench/price.py

The floor is the bare arithmetic of the same 12 months (base x rate and base x 8%, each rounded
to the fen) on plain Decimals: what any correct implementation must do. The ratio tells how much
the parameter lookups, the checks and the bookkeeping for references cost on top.
"""

from __future__ import annotations

import os
import platform
import timeit
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import create_engine

from calc.quote import QuoteRequest, price, tiers
from rates.loader import load_tree
from rates.months import Month
from rates.store import ParameterStore


def main() -> None:
    store = ParameterStore(create_engine("sqlite://"))
    store.create_schema()
    store.load(*load_tree())
    snapshot = store.snapshot()
    request = QuoteRequest("360100", "flexible_pension", Month(2025, 1), Month(2025, 12), base_ratio=Decimal("0.7"))
    base, rate, personal, fen = Decimal(4568), Decimal("0.20"), Decimal("0.08"), Decimal("0.01")

    def floor() -> Decimal:
        total = Decimal(0)
        for _ in range(12):
            total += (base * rate).quantize(fen, ROUND_HALF_UP)
            (base * personal).quantize(fen, ROUND_HALF_UP)
        return total

    assert price(snapshot, request).total == floor()
    rounds = 2000
    price_us = min(timeit.repeat(lambda: price(snapshot, request), number=rounds, repeat=5)) / rounds * 1e6
    floor_us = min(timeit.repeat(floor, number=rounds, repeat=5)) / rounds * 1e6
    tiers_us = min(timeit.repeat(lambda: tiers(snapshot, "360100", Month(2025, 6)), number=50, repeat=3)) / 50 * 1e6
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("| what | µs per call | ratio to floor |")
    print("|---|---:|---:|")
    print(f"| floor: bare Decimal arithmetic of 12 months | {floor_us:.1f} | 1.0 |")
    print(f"| `price()` 12 months, flexible_pension | {price_us:.1f} | {price_us / floor_us:.1f} |")
    print(f"| `tiers()` 25 tiers x 12 months | {tiers_us:.1f} | {tiers_us / floor_us:.1f} |")


if __name__ == "__main__":
    main()
