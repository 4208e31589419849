"""A coverage cell (region, family, year) says configured exactly when /calculate answers for that year's months
on that family's own figures (for a yearly family, the figures of that contribution year, not 暂按上年度标准), and
with the same trust label: for a scheme's own family (medical insurance, the outlet rule) the one its answers show,
the weakest of the documents they priced with; for a figure (the average wage) that figure's as the answers cite it."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from rates.families import FAMILIES, TRUST_LABELS, TRUST_LEVELS
from rates.months import Month
from rates.store import Snapshot
from service.answer.present import is_service_rule
from service.pages import coverage
from tests.sweep import probe, space
from tests.sweep.space import Ask

# The schemes that price with each family's figures (a family no calculation reads, such as the pension
# estimate's 计发基数, is not a calculation's to confirm).
SCHEME_OF = {family: scheme for scheme, family in space.OWN_FAMILY.items()}


def _month(client: FlaskClient, calc: probe.Results, snap: Snapshot, region: str, scheme: str, month: Month) -> Any:
    """The first variant of the month that /calculate answers: its line, or None when none answers."""
    for variant in space.variants(snap, region, scheme, month):
        figures = {k: v for k, v in variant.items() if k != "kind"}
        ask = Ask(region, scheme, str(month), str(month), **figures)
        found = calc.line(ask, ask.start)
        if found is None:
            outcome = probe.ask_calc(client, ask)
            found = (200, outcome.data["months"][0]) if outcome.ok else (outcome.status, outcome.error)
        if found[0] == 200:
            return found[1]
    return None


def test_a_coverage_cell_says_what_calculate_answers(client: FlaskClient, snap: Snapshot, calc: probe.Results) -> None:
    table = coverage.table(snap)
    versions = {v.id: v for v in snap.all_versions}
    cells = [
        (family["family"], row["code"], year, cell)
        for family in table["families"]
        if family["family"] in SCHEME_OF
        for row in family["rows"]
        for year, cell in zip(table["years"], row["cells"], strict=True)
    ]
    problems = []
    for family, region, year, cell in space.sample(cells, 40, "coverage"):
        scheme = SCHEME_OF[family]
        yearly = FAMILIES[family].yearly
        trusts = set()
        # a yearly family's year is a contribution year, which may run into the next calendar year (北京 from July)
        for month in Month(year, 1).until(Month(year + yearly, 12)):
            line = _month(client, calc, snap, region, scheme, month)
            version = versions[line["version"][family]] if line is not None else None
            if version is not None and (version.contribution_year == year if yearly else month.year == year):
                # a scheme's cell: the trust its answers show, the weakest of the documents they priced with (not
                # the service's rule); a figure's cell (the average wage): its own trust, as the answers cite it
                priced = [versions[number] for number in line["version"].values()] if family == scheme else [version]
                trusts.update(v.trust for v in priced if not is_service_rule(v))
        said = cell.state in ("own", "inherited")
        worst = max(trusts, key=TRUST_LEVELS.index) if trusts else None
        if said != bool(trusts) or (said and cell.trust != worst):
            answered = f"answers ({TRUST_LABELS[worst]})" if worst else "does not answer"
            problems.append(f"{family} {region} {year}: the cell says {cell.text}, /calculate {answered}")
        probe.TALLY.add("coverage")
    assert not problems, "\n".join(problems)
