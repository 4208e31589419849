"""Every calculation question of the answer space: no 5xx, errors in Chinese naming a field, sums that add up,
a range answer equal to its months asked alone (``probe.sweep_calc``)."""

from __future__ import annotations

from tests.sweep import probe


def test_every_calculation_answers_or_says_what_to_fix(calc: probe.Results) -> None:
    assert not calc.problems, "\n".join(calc.problems[:40])
    assert calc.by_month  # the space is not empty
