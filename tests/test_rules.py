"""``calc.rules.rule_for`` picks, by a search of the rules' first months, the rule the plain reading of the register
gives: the latest rule in force in the month (the earliest for months before every rule), and ``rule_steady_before``
the first month after it from which another may be picked."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from calc import rules
from rates.months import Month


@pytest.fixture
def dated() -> Iterator[str]:
    """A scheme with rules from several months, registered out of order, two of them from the same month."""
    scheme = "test_dated_scheme"
    for since, name in [("2024-07", "b"), ("2021-01", "a"), ("2026-01", "c"), ("2024-07", "b2")]:
        rules.rule(scheme, since)(lambda name=name: name)
    yield scheme
    del rules._RULES[scheme], rules._STARTS[scheme]


def test_the_rule_in_force_is_the_one_the_register_reads_plainly(dated: str) -> None:
    register = rules._RULES[dated]
    for month in Month(2019, 1).until(Month(2028, 12)):
        in_force = [function for since, function in register if since <= month]
        assert rules.rule_for(dated, month) is (in_force[-1] if in_force else register[0][1])
        later = [since.index() for since, _ in register if since.index() > month.index()]
        assert rules.rule_steady_before(dated, month) == min(later, default=sys.maxsize)
    assert [rules.rule_for(dated, Month.parse(m))() for m in ("2020-12", "2024-06", "2024-07", "2030-01")] == [
        "a",
        "a",
        "b2",
        "c",
    ]
