"""Month parsing, header matching and name cleaning of the roster reader, on generated input (hypothesis)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rates.months import Month
from service.outlets.cells import without_invisible
from service.outlets.roster import MAX_NAME, SYNONYMS, CellError, Limits, _header_key, parse_month, read_roster
from tests.outlets_support import HEADERS, make_id, sheet_xml, xml_workbook

years = st.integers(1900, 9999)
months = st.integers(1, 12)
spaces = st.sampled_from(["", " ", "  ", "\u3000", "\t"])


def full_width(text: str) -> str:
    """What an input method in full-width mode types: digits and ASCII punctuation as U+FF01..U+FF5E."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@given(year=years, month=months, form=st.integers(0, 5), wide=st.booleans(), pad=spaces)
def test_every_accepted_month_form_parses_to_its_month(year: int, month: int, form: int, wide: bool, pad: str) -> None:
    text = [
        f"{year}-{month:02d}",
        f"{year}/{month}",
        f"{year}.{month}",
        f"{year}年{month}月",
        f"{year}{month:02d}",
        f"{year}-{month}",
    ][form]
    if wide:
        text = full_width(text)
    assert parse_month(f"{pad}{text}{pad}") == Month(year, month).index()


@given(year=years, month=months, day=st.integers(1, 28))
def test_date_cells_give_their_month(year: int, month: int, day: int) -> None:
    assert parse_month(dt.datetime(year, month, day)) == Month(year, month).index()
    assert parse_month(dt.date(year, month, day)) == Month(year, month).index()
    assert parse_month(year * 100 + month) == Month(year, month).index()  # 202503 typed as a number


@given(year=st.integers(1900, 9999), month=months)
def test_number_cells_like_2025_3_parse_unless_ambiguous(year: int, month: int) -> None:
    value = float(f"{year}.{month}")
    if month in (1, 10):  # Excel stores 2025.10 as 2025.1: never guessed
        try:
            parse_month(value)
        except CellError as error:
            assert "1月和10月" in str(error)
        else:
            raise AssertionError("an ambiguous month was guessed")
    else:
        assert parse_month(value) == Month(year, month).index()


cells = st.one_of(
    st.text(max_size=20),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.datetimes(min_value=dt.datetime(1, 1, 1)),
)


@given(cells)
def test_any_cell_parses_or_says_how_to_fix_it(value: Any) -> None:
    try:
        index = parse_month(value)
    except CellError as error:
        assert "年月" in str(error) or "月份" in str(error) or "日期" in str(error)
    else:
        assert Month(1900, 1).index() <= index <= Month(9999, 12).index()


@given(data=st.data())
def test_every_header_name_matches_with_spaces_and_full_width(data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(sorted(SYNONYMS)))
    name = data.draw(st.sampled_from(SYNONYMS[key]))
    cut = data.draw(st.integers(0, len(name)))
    inner, outer = data.draw(spaces), data.draw(spaces)
    text = f"{outer}{name[:cut]}{inner}{name[cut:]}{outer}"
    if data.draw(st.booleans()):
        text = full_width(text)
    assert _header_key(text) == key


@given(st.one_of(st.text(max_size=30), cells))
def test_header_matching_never_fails_on_odd_cells(value: Any) -> None:
    assert _header_key(value) in (None, *SYNONYMS)


# names as they arrive: any printable text, emoji, invisible and control characters, very long; not the
# literal _xHHHH_ (Excel itself would have escaped its underscore) nor the two non-characters XML refuses
names = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\ufffe\uffff"), max_size=80).filter(
    lambda text: "_x" not in text.lower()
)


@settings(max_examples=100, deadline=None)
@given(name=names)
def test_every_name_is_kept_exactly_or_refused_never_changed(name: str) -> None:
    """A row is accepted with its name as typed (trimmed, invisible characters removed and said) or is one 姓名
    error; no name is otherwise altered or lost."""
    row = ["网点甲", "", name, make_id(1), "2025-01", "2025-03", None, ""]
    roster = read_roster(xml_workbook({"花名册": sheet_xml([HEADERS, row])}), Limits())
    trimmed = name.strip()
    shown = without_invisible(trimmed).strip()  # what the user sees (issue 12): Cf characters draw nothing
    if roster.rows:
        assert roster.names == [shown] and not roster.errors
        assert roster.cleaned == ([] if shown == trimmed else [("花名册", 2, "姓名")])  # every change is said
        assert 0 < len(shown) <= MAX_NAME and all(ord(c) >= 32 and not 0x7F <= ord(c) <= 0x9F for c in shown)
    else:
        assert [(e.row, e.column) for e in roster.errors] == [(2, "姓名")], roster.errors
        assert not shown or len(shown) > MAX_NAME or any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in shown)
