"""The loader refuses broken parameter files with a message naming the file and the key."""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rates.families import TRUST_LEVELS
from rates.loader import BUNDLED, ParameterFileError, load_tree
from rates.months import Month

BROKEN = Path(__file__).parent / "fixtures" / "broken_rates"


def expectations(path: Path) -> dict[str, str]:
    header = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"# (path|key|message): (.*)", line)
        if match:
            header[match.group(1)] = match.group(2).strip()
    return header


@pytest.mark.parametrize("broken", sorted(BROKEN.glob("*.yaml")), ids=lambda p: p.stem)
def test_broken_file_is_refused_naming_file_and_key(broken: Path, tmp_path: Path) -> None:
    expect = expectations(broken)
    root = tmp_path / "rates"
    shutil.copytree(BUNDLED, root)
    target = root / expect["path"]
    target.parent.mkdir(exist_ok=True)
    shutil.copy(broken, target)
    with pytest.raises(ParameterFileError) as caught:
        load_tree(root)
    problems = caught.value.problems
    assert len(problems) == 1, problems
    file, key, message = problems[0]
    assert file == str(target)
    assert key == expect["key"]
    assert expect["message"] in message
    assert str(target) in str(caught.value)


def test_every_broken_file_is_reported_at_once(tmp_path: Path) -> None:
    root = tmp_path / "rates"
    shutil.copytree(BUNDLED, root)
    for name in ("float_number", "bad_trust"):
        expect = expectations(BROKEN / f"{name}.yaml")
        shutil.copy(BROKEN / f"{name}.yaml", root / expect["path"])
    with pytest.raises(ParameterFileError) as caught:
        load_tree(root)
    assert len(caught.value.problems) == 2


def test_bundled_files_hold_the_reference_figures() -> None:
    regions, versions = load_tree()
    assert {"360000", "360100", "530000", "530100", "000000"} <= set(regions)
    by_key = {(v.region, v.family, v.effective_from): v for v in versions}
    jiangxi = by_key[("360000", "avg_wage", Month(2025, 1))]
    assert jiangxi.values["avg_wage_monthly"] == Decimal("6525")
    assert jiangxi.values["base_floor_monthly"] == Decimal("3915")
    assert jiangxi.references[0].doc_no == "赣人社字〔2025〕150号"
    assert jiangxi.trust == "medium"
    yunnan = by_key[("530000", "avg_wage", Month(2025, 1))]
    assert yunnan.values["base_floor_monthly"] == Decimal("4357")
    assert by_key[("530000", "avg_wage", Month(2026, 1))].effective_by_scheme == {"flexible_medical": Month(2026, 9)}
    assert by_key[("360000", "outlet_injury", Month(2022, 5))].values["ratio"] == Decimal("0.01")
    # flexible-worker medical insurance: shipped for the cities with a sourced notice (issue 15), and
    # still nothing for 江西/南昌 or 云南/昆明, where no source was found
    medical = {v.region for v in versions if v.family == "flexible_medical"}
    assert not medical & {"360000", "360100", "530000", "530100"}
    assert medical == {
        "110000",
        "120000",
        "310000",
        "320100",
        "330100",
        "420100",
        "440100",
        "440300",
        "500000",
        "510100",
    }
    # every version cites at least one document and carries a trust level
    assert all(v.references and v.references[0].title and v.trust for v in versions)


def test_bundled_average_wages_match_the_reference_csv() -> None:
    """avg_wages.csv (江西, 云南 2022-2026): every figure is in the tree, in force, or kept as a superseded
    record where provinces/province_wages.csv is better sourced (云南2026: official, 云人社发〔2026〕8号).
    Floors and ceilings the older file lacks may come from province_wages.csv (tests/test_provinces.py)."""
    import csv

    reference = Path(__file__).resolve().parents[2] / "shared" / "reference" / "avg_wages.csv"
    if not reference.exists():
        pytest.skip("shared/reference is not beside this checkout")
    _, versions = load_tree()
    chains: dict[tuple[str, int | None], list[Any]] = {}
    for v in versions:
        if v.family == "avg_wage":
            chains.setdefault((v.region, v.contribution_year), []).append(v)  # superseded first, in force last
    rows = list(csv.DictReader(reference.open(encoding="utf-8")))
    assert len(rows) == len([key for key in chains if key[0] in {"360000", "530000"}])
    for row in rows:
        *earlier, version = chains[(row["province_code"], int(row["contribution_year"]))]
        assert str(version.effective_from) == row["effective_from"]
        assert version.values["avg_wage_monthly"] == Decimal(row["avg_wage_monthly"])
        for column in ("base_floor_monthly", "base_ceiling_monthly"):
            if row[column]:
                assert version.values.get(column) == Decimal(row[column])
        assert (version.references[0].doc_no or "") == row["doc_no"]
        assert TRUST_LEVELS.index(version.trust) <= TRUST_LEVELS.index(row["trust"])
        if version.trust != row["trust"]:  # corrected by a better source: the older record stays in the history
            assert [v.trust for v in earlier if v.values == version.values] == [row["trust"]]


def test_official_trust_needs_more_than_a_compilation() -> None:
    """Issue 19: a version may not claim 官方原文 when every source line says 转引/汇编; a government page
    reprinting the notice (云南 2026: 元谋县政府网站转载) is more than a compilation. Issue 25: nor without the
    notice's verbatim text held (an excerpt with the page it was read on)."""
    from rates.excerpts import held
    from rates.families import trust_allowed

    assert trust_allowed("official", ["据公开汇编转引（GitHub 仓库 x）"], held=True) == "medium"
    assert trust_allowed("official", ["据公开汇编转引（x）", "据公开汇编转引（y）"], held=True) == "medium"
    reprint = ["元谋县政府网站转载省级通知原文；另见 https://x；据公开汇编转引（x）"]
    assert trust_allowed("official", reprint, held=True) == "official"
    assert trust_allowed("official", reprint, held=False) == "medium"  # issue 25: no text held, no 官方原文
    assert trust_allowed("official", [None], held=True) == "official"  # the document itself, no intermediary named
    assert trust_allowed("official", [None], held=False) == "medium"
    assert trust_allowed("low", ["据公开汇编转引（x）"], held=False) == "low"
    _, versions = load_tree()
    for version in versions:
        sources = [r.source for r in version.references]
        assert version.trust == trust_allowed(version.trust, sources, held=held(version.references)), version
        if version.trust == "official":  # every 官方原文 of the bundled files holds its sentence and page
            assert held(version.references), version
    guangdong = [
        v for v in versions if v.region in ("440000", "440100") and str(v.effective_from) in ("2025-01", "2025-07")
    ]
    assert {(v.region, v.family): v.trust for v in guangdong if v.trust == "official"} == {}
