"""Amounts in Chinese capitals: the examples of the 人民银行 rules and the edge cases of zeros."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.core.rmb import DIGITS, upper

CASES = {
    "1566.00": "壹仟伍佰陆拾陆元整",
    "1566": "壹仟伍佰陆拾陆元整",
    "0": "零元整",
    "0.50": "伍角",
    "0.05": "伍分",
    "0.55": "伍角伍分",
    "1": "壹元整",
    "10": "壹拾元整",  # a leading 拾 is written 壹拾
    "16": "壹拾陆元整",
    "10.05": "壹拾元零伍分",
    "100.50": "壹佰元伍角",
    "101": "壹佰零壹元整",
    "1005.05": "壹仟零伍元零伍分",
    "1680.32": "壹仟陆佰捌拾元叁角贰分",
    "9396.00": "玖仟叁佰玖拾陆元整",
    "10000": "壹万元整",
    "10001": "壹万零壹元整",
    "10500": "壹万零伍佰元整",
    "15000": "壹万伍仟元整",
    "100000": "壹拾万元整",
    "107000.53": "壹拾万柒仟元伍角叁分",
    "1000100": "壹佰万零壹佰元整",
    "1010000": "壹佰零壹万元整",
    "100000000": "壹亿元整",
    "100050000": "壹亿零伍万元整",
    "325000.00": "叁拾贰万伍仟元整",
    "4357.20": "肆仟叁佰伍拾柒元贰角",
}


@pytest.mark.parametrize(("amount", "words"), CASES.items())
def test_known_amounts(amount: str, words: str) -> None:
    assert upper(Decimal(amount)) == words


@pytest.mark.parametrize("bad", ["-1", "0.001", "1e16", "NaN"])
def test_refuses_what_is_not_an_exact_amount(bad: str) -> None:
    with pytest.raises(ValueError):
        upper(Decimal(bad))


def read_back(words: str) -> Decimal:
    """The number the words stand for, read the way a person reads them (for the property below)."""
    units = {"拾": 10, "佰": 100, "仟": 1000}
    total, section, digit = Decimal(0), 0, 0
    big = Decimal(0)
    for char in words:
        if char in DIGITS:
            digit = DIGITS.index(char)
        elif char in units:
            section += digit * units[char]
            digit = 0
        elif char == "万":
            big += (section + digit) * 10000
            section = digit = 0
        elif char == "亿":
            big = (big + section + digit) * 100_000_000
            section = digit = 0
        elif char == "元":
            total = big + section + digit
            big, section, digit = Decimal(0), 0, 0
        elif char == "角":
            total += Decimal(digit) / 10
            digit = 0
        elif char == "分":
            total += Decimal(digit) / 100
            digit = 0
    return total


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_words_read_back_to_the_amount(fen: int) -> None:
    amount = Decimal(fen).scaleb(-2)
    words = upper(amount)
    assert read_back(words) == amount
    assert ("零零" not in words and not words.startswith("零")) or words == "零元整"
    assert not words.startswith("拾")
