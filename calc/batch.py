"""The outlet work-injury premium of a whole roster at once, on integer fen.

The premium rule is not repeated here. For every distinct (month, factor) pair the engine prices one
courier-month (``calc.quote.price`` with headcount 1); each row is then summed from those amounts with
numpy prefix sums over month indices. The engine rounds the per-courier monthly premium to the fen
and multiplies by headcount, so the sum over couriers equals one engine call with headcount N, to the fen.

No Excel and no Flask here: rows come in as arrays (month indices as ``Month.index()``), results go
out as arrays and Chinese messages naming the field to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from calc.lines import QuoteError, QuoteRequest
from calc.pricing import price, validate
from calc.rounding import fen
from rates.interface import Parameters, Resolved
from rates.months import Month

SCHEME = "outlet_injury"
# Any month will do to check the region alone; the engine checks the real months row by row.
_PROBE_MONTH = Month(2000, 1)


def month_at(index: int) -> Month:
    """The month of a ``Month.index()`` value."""
    return Month(index // 12, index % 12 + 1)


def yuan(amount_fen: int) -> Decimal:
    """Integer fen back to an exact Decimal amount in yuan (no rounding: fen are exact)."""
    return Decimal(int(amount_fen)).scaleb(-2)


@dataclass
class _FactorTable:
    """Per courier-month premium of one factor over the months ``low..low+len-1``."""

    low: int
    amount: np.ndarray  # int64 fen per month (0 where not configured)
    missing: dict[int, QuoteError]  # month index -> the engine's error for that month
    provisional: np.ndarray  # bool per month
    used: dict[int, list[Resolved]]  # month index -> versions the engine used

    def prefix(self, values: np.ndarray) -> np.ndarray:
        return np.concatenate(([0], np.cumsum(values, dtype=np.int64)))


@dataclass
class BatchResult:
    """Per row: accepted or an error; months, amount, per-courier monthly premium, all in fen."""

    accepted: np.ndarray  # bool
    errors: dict[int, tuple[str, str]]  # row position -> (field, Chinese message)
    months: np.ndarray  # int64 courier-months of each row
    amount_fen: np.ndarray  # int64, 0 for rejected rows
    monthly_fen: np.ndarray  # int64 per-courier premium of the row's first month
    uniform: np.ndarray  # bool: the same per-courier premium in every month of the row
    provisional: np.ndarray  # bool: some month priced 暂按上年度标准
    used: list[Resolved] = field(default_factory=list)
    factor_codes: np.ndarray | None = None
    tables: list[_FactorTable | None] = field(default_factory=list)

    def segments(self, position: int, start: int, end: int) -> list[tuple[Month, Month, int]]:
        """The row's months grouped by per-courier premium: [(from, to, fen), ...]."""
        assert self.factor_codes is not None
        table = self.tables[int(self.factor_codes[position])]
        assert table is not None
        runs: list[tuple[Month, Month, int]] = []
        for index in range(start, end + 1):
            amount = int(table.amount[index - table.low])
            if runs and runs[-1][2] == amount:
                runs[-1] = (runs[-1][0], month_at(index), amount)
            else:
                runs.append((month_at(index), month_at(index), amount))
        return runs


def _check_region(params: Parameters, region: str) -> None:
    validate(params, QuoteRequest(region, SCHEME, _PROBE_MONTH, _PROBE_MONTH))


def _triple_errors(
    params: Parameters, region: str, start: np.ndarray, end: np.ndarray, codes: np.ndarray, factors: Sequence[Decimal]
) -> dict[int, QuoteError]:
    """The engine's own request checks (range, length, factor), once per distinct (start, end, factor)."""
    keys = (start.astype(np.int64) * 200_000 + end.astype(np.int64)) * (len(factors) + 1) + codes
    _, first = np.unique(keys, return_index=True)
    failed: dict[int, QuoteError] = {}
    bad_keys: dict[int, QuoteError] = {}
    for position in first:
        request = QuoteRequest(
            region,
            SCHEME,
            month_at(int(start[position])),
            month_at(int(end[position])),
            factor=factors[codes[position]],
        )
        try:
            validate(params, request)
        except QuoteError as error:
            bad_keys[int(keys[position])] = error
    if bad_keys:
        for position in np.flatnonzero(np.isin(keys, list(bad_keys))):
            failed[int(position)] = bad_keys[int(keys[position])]
    return failed


def _price_factor(
    params: Parameters, region: str, factor: Decimal, low: int, high: int, needed: np.ndarray
) -> _FactorTable:
    """Ask the engine for one courier-month of every needed month between low and high."""
    table = _FactorTable(low, np.zeros(high - low + 1, dtype=np.int64), {}, np.zeros(high - low + 1, dtype=bool), {})
    for offset in np.flatnonzero(needed):
        month = month_at(low + int(offset))
        try:
            quote = price(params, QuoteRequest(region, SCHEME, month, month, headcount=1, factor=factor))
        except QuoteError as error:
            table.missing[low + int(offset)] = error
            continue
        line = quote.lines[0]
        table.amount[offset] = fen(line.amount)
        table.provisional[offset] = line.provisional
        table.used[low + int(offset)] = quote.used
    return table


def _coverage(start: np.ndarray, end: np.ndarray, low: int, high: int) -> np.ndarray:
    """Which months between low and high at least one of the ranges covers."""
    steps = np.zeros(high - low + 2, dtype=np.int64)
    np.add.at(steps, start - low, 1)
    np.add.at(steps, end - low + 1, -1)
    return np.cumsum(steps[:-1]) > 0


def _row_name(label: int | str) -> str:
    """An Excel row number as 第N行; a label that is text (a sheet and row) as it is."""
    return f"第{label}行" if isinstance(label, int) else label


def _overlapping_duplicates(
    ids: np.ndarray, start: np.ndarray, end: np.ndarray, accepted: np.ndarray, labels: Sequence[int | str]
) -> dict[int, tuple[str, str]]:
    """The first registration of an ID is kept; every later one overlapping a kept one is an error."""
    import pandas as pd  # here, as in each function using it: a process that prices no roster is spared it

    candidates = np.flatnonzero(accepted)
    repeated = pd.Series(ids[candidates]).duplicated(keep=False).to_numpy()
    errors: dict[int, tuple[str, str]] = {}
    kept: dict[str, list[int]] = {}
    for position in candidates[repeated]:  # row order: the first registration comes first
        clash = next(
            (k for k in kept.get(ids[position], []) if start[k] <= end[position] and start[position] <= end[k]), None
        )
        if clash is None:
            kept.setdefault(ids[position], []).append(int(position))
            continue
        errors[int(position)] = (
            "id",
            f"与{_row_name(labels[clash])}是同一身份证号，参保月份重叠（{month_at(int(start[clash]))}至"
            f"{month_at(int(end[clash]))}），同一人同一月不能重复缴费：请删除本行或把月份改为不重叠。",
        )
    return errors


def price_roster(
    params: Parameters,
    region: str,
    ids: Sequence[str],
    start: Sequence[int],
    end: Sequence[int],
    factors: Sequence[Decimal],
    labels: Sequence[int | str] | None = None,
) -> BatchResult:
    """Price every row (an ID, a range of month indices and a factor) of a roster for ``region``.

    ``labels`` name the rows in messages (the Excel row numbers, or text such as “网点甲 第5行”); by default
    their positions + 1.
    Raises ``QuoteError`` only for what concerns the whole roster (an unknown region).
    """
    import pandas as pd

    _check_region(params, region)
    count = len(ids)
    id_array = np.asarray(ids, dtype=object)
    start_array = np.asarray(start, dtype=np.int64)
    end_array = np.asarray(end, dtype=np.int64)
    labels = list(labels) if labels is not None else list(range(1, count + 1))
    codes, distinct = pd.factorize(pd.Series(list(factors), dtype=object), sort=False)
    distinct_factors = [Decimal(f) for f in distinct]
    result = BatchResult(
        accepted=np.ones(count, dtype=bool),
        errors={},
        months=np.zeros(count, dtype=np.int64),
        amount_fen=np.zeros(count, dtype=np.int64),
        monthly_fen=np.zeros(count, dtype=np.int64),
        uniform=np.ones(count, dtype=bool),
        provisional=np.zeros(count, dtype=bool),
        factor_codes=codes,
        tables=[None] * len(distinct_factors),
    )
    if count == 0:
        return result
    for position, error in _triple_errors(params, region, start_array, end_array, codes, distinct_factors).items():
        result.errors[position] = (error.field, error.message)
        result.accepted[position] = False

    for code, factor in enumerate(distinct_factors):
        rows = np.flatnonzero(result.accepted & (codes == code))
        if rows.size == 0:
            continue
        low, high = int(start_array[rows].min()), int(end_array[rows].max())
        table = _price_factor(
            params, region, factor, low, high, _coverage(start_array[rows], end_array[rows], low, high)
        )
        result.tables[code] = table
        first, last = start_array[rows] - low, end_array[rows] - low + 1
        if table.missing:
            missing = np.zeros(high - low + 1, dtype=np.int64)
            missing[np.asarray(list(table.missing)) - low] = 1
            cumulative = table.prefix(missing)
            unpriced = rows[(cumulative[last] - cumulative[first]) > 0]
            missing_months = np.asarray(sorted(table.missing))
            for position in unpriced:
                # the engine prices months in order: its error is the one of the first missing month
                month = int(missing_months[np.searchsorted(missing_months, start_array[position])])
                error = table.missing[month]
                result.errors[int(position)] = (error.field, error.message)
                result.accepted[position] = False
        amount = table.prefix(table.amount)
        changes = table.prefix(np.concatenate(([0], (np.diff(table.amount) != 0).astype(np.int64))))
        provisional = table.prefix(table.provisional.astype(np.int64))
        result.months[rows] = last - first
        result.amount_fen[rows] = amount[last] - amount[first]
        result.monthly_fen[rows] = table.amount[first]
        # a change at month i means amount[i] != amount[i-1]; only changes after the first month count
        result.uniform[rows] = (changes[last] - changes[first + 1]) == 0
        result.provisional[rows] = (provisional[last] - provisional[first]) > 0

    for position, twice in _overlapping_duplicates(id_array, start_array, end_array, result.accepted, labels).items():
        result.errors[position] = twice
        result.accepted[position] = False
    rejected = ~result.accepted
    result.months[rejected] = 0
    result.amount_fen[rejected] = 0
    result.used = _used_versions(result, start_array, end_array, codes)
    return result


def _used_versions(result: BatchResult, start: np.ndarray, end: np.ndarray, codes: np.ndarray) -> list[Resolved]:
    """Every version behind an accepted row's figure, as the engine records them (provisional wins)."""
    used: dict[int, Resolved] = {}
    for code, table in enumerate(result.tables):
        rows = np.flatnonzero(result.accepted & (codes == code))
        if table is None or rows.size == 0:
            continue
        high = table.low + len(table.amount) - 1
        covered = _coverage(start[rows], end[rows], table.low, high)
        for offset in np.flatnonzero(covered):
            for resolved in table.used.get(table.low + int(offset), []):
                key = resolved.version.id if resolved.version.id is not None else id(resolved.version)
                if key not in used or resolved.provisional:
                    used[key] = resolved
    return list(used.values())


@dataclass(frozen=True)
class OutletTotal:
    outlet: str
    headcount: int  # distinct couriers (ID numbers)
    courier_months: int
    amount_fen: int


def outlet_totals(
    outlets: Sequence[str], ids: Sequence[str], result: BatchResult
) -> tuple[list[OutletTotal], OutletTotal]:
    """Accepted rows summed per outlet (in order of first appearance) and the grand total."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "outlet": np.asarray(outlets, dtype=object),
            "id": np.asarray(ids, dtype=object),
            "months": result.months,
            "amount": result.amount_fen,
        }
    )[result.accepted]
    grouped = frame.groupby("outlet", sort=False).agg(
        headcount=("id", "nunique"), months=("months", "sum"), amount=("amount", "sum")
    )
    rows = [
        OutletTotal(str(name), int(row.headcount), int(row.months), int(row.amount))
        for name, row in zip(grouped.index, grouped.itertuples(index=False), strict=True)
    ]
    total = OutletTotal("合计", int(frame["id"].nunique()), int(frame["months"].sum()), int(frame["amount"].sum()))
    return rows, total


@dataclass(frozen=True)
class MonthTotal:
    outlet: str  # "合计" for the month's total over every outlet
    month: Month
    couriers: int  # accepted rows covering the month (a courier listed twice for one month is refused)
    amount_fen: int


def month_totals(
    outlets: Sequence[str], start: Sequence[int], end: Sequence[int], result: BatchResult
) -> tuple[list[MonthTotal], list[MonthTotal]]:
    """What each outlet pays in each month (outlets pay monthly), and each month's total over all outlets.

    Each row adds its factor's per-courier premium of the month to every month it covers; the months of an
    outlet sum to its total of ``outlet_totals``, to the fen, since both add the same priced months.
    """
    import pandas as pd

    accepted = np.flatnonzero(result.accepted)
    if accepted.size == 0 or result.factor_codes is None:
        return [], []
    codes_of_outlet, names = pd.factorize(pd.Series(np.asarray(outlets, dtype=object)[accepted]), sort=False)
    starts = np.asarray(start, dtype=np.int64)[accepted]
    ends = np.asarray(end, dtype=np.int64)[accepted]
    low, high = int(starts.min()), int(ends.max())
    width = high - low + 1
    couriers = np.zeros((len(names), width + 1), dtype=np.int64)
    amounts = np.zeros((len(names), width), dtype=np.int64)
    factor_codes = np.asarray(result.factor_codes)[accepted]
    for code, table in enumerate(result.tables):
        chosen = factor_codes == code
        if table is None or not chosen.any():
            continue
        # couriers of each outlet covering each month: +1 at the first month, -1 after the last
        cover = np.zeros((len(names), width + 1), dtype=np.int64)
        np.add.at(cover, (codes_of_outlet[chosen], starts[chosen] - low), 1)
        np.add.at(cover, (codes_of_outlet[chosen], ends[chosen] - low + 1), -1)
        counts = np.cumsum(cover, axis=1)[:, :width]
        couriers[:, :width] += counts
        span = np.arange(low, high + 1)
        inside = (span >= table.low) & (span < table.low + len(table.amount))
        premium = np.zeros(width, dtype=np.int64)
        premium[inside] = table.amount[span[inside] - table.low]
        amounts += counts * premium
    per_outlet = [
        MonthTotal(str(name), month_at(low + offset), int(couriers[n, offset]), int(amounts[n, offset]))
        for n, name in enumerate(names)
        for offset in range(width)
        if couriers[n, offset]
    ]
    overall = [
        MonthTotal("合计", month_at(low + offset), int(couriers[:, offset].sum()), int(amounts[:, offset].sum()))
        for offset in range(width)
        if couriers[:, offset].any()
    ]
    return per_outlet, overall
