"""Issue 25 in the sweep: raising trust honestly. For a sample of versions (all of them with SWEEP=full), one
administrator attaches a sentence holding the version's figures and another approves it: the version in force is
then 官方原文 with its text held, in the API, on the 参数 page and in every answer citing it; a sentence without
the figures is refused naming them, and nothing is written. Its own database: the shared sweep store is untouched."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask

from rates.families import FAMILIES, Kind
from rates.model import NATIONAL, Version
from service import create_app
from service.answer.present import is_service_rule
from tests.admin_support import add_user, login
from tests.sweep import probe, space


@pytest.fixture(scope="module")
def raise_app(sweep_folder: Path) -> Iterator[Flask]:
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{sweep_folder / 'trust.sqlite3'}"})
    add_user(app, "sweep-proposer")
    add_user(app, "sweep-reviewer")
    yield app
    app.extensions["outlet_jobs"].stop(graceful=False)


def sentence(version: Version) -> str:
    """A notice's sentence stating each figure of the version as notices write them (yuan, percent)."""
    parts = []
    for spec in FAMILIES[version.family].fields:
        value = version.values.get(spec.name)
        if isinstance(value, Decimal) and spec.kind is Kind.RATIO:
            parts.append(f"{spec.label}为{format((value * 100).normalize(), 'f')}%")
        elif isinstance(value, Decimal):
            parts.append(f"{spec.label}为{format(value.normalize(), 'f')}")
    return "经研究，" + "，".join(parts) + "。"


def test_a_raise_reviewed_by_a_second_admin_is_shown_as_official_with_its_text(raise_app: Flask) -> None:
    snap = raise_app.extensions["rates"].snapshot()
    candidates = [
        v
        for v in snap.all_versions
        if v.trust != "official"
        and not v.withdrawn
        and not snap.is_superseded(v)
        and not is_service_rule(v)
        and any(isinstance(x, Decimal) for x in v.values.values())
    ]
    proposer, reviewer = raise_app.test_client(), raise_app.test_client()
    login(proposer, "sweep-proposer")
    login(reviewer, "sweep-reviewer")
    problems: list[str] = []
    for version in space.sample(candidates, 12, "trust"):
        where = f"v{version.id} {version.region}/{version.family}/{version.effective_from}"
        url = "/api/v1/admin/trust-raises"
        body = {"version_id": version.id, "excerpt": "经研究，标准不变。", "url": "https://hrss.example.gov.cn/a.html"}
        refused = proposer.post(url, json=body)
        if refused.status_code != 422 or "原文摘录中没有该版本的数字" not in refused.get_json()["error"]["message"]:
            problems.append(f"{where}: a sentence without the figures answered {refused.status_code}")
        body["excerpt"] = sentence(version)
        made = proposer.post(url, json=body)
        if made.status_code != 201:
            problems.append(f"{where}: proposal {made.status_code} {made.get_json()}")
            continue
        raise_id = made.get_json()["id"]
        own = proposer.post(f"{url}/{raise_id}/approve", json={})
        if own.status_code != 422:
            problems.append(f"{where}: the proposer approved their own raise ({own.status_code})")
        approved = reviewer.post(f"{url}/{raise_id}/approve", json={})
        if approved.status_code != 201:
            problems.append(f"{where}: approval {approved.status_code} {approved.get_json()}")
            continue
        new_id = approved.get_json()["result_version_id"]
        region = version.region if version.region != NATIONAL else "110000"
        history = json.loads(probe.get(reviewer, f"/api/v1/parameters/{region}/history")[1])["versions"]
        (new,) = [v for v in history if v["id"] == new_id]
        held = [r for r in new["references"] if r.get("excerpt") == body["excerpt"]]
        if new["trust"] != "official" or not held or held[0]["excerpt_by"] != "sweep-proposer":
            problems.append(f"{where}: the new version v{new_id} is {new['trust']} holding {held}")
        page = probe.get(reviewer, f"/parameters/{region}")[1].decode()
        if f'id="v{new_id}"' not in page or body["excerpt"] not in page:
            problems.append(f"{where}: the 参数 page does not quote the held sentence of v{new_id}")
        problems += [f"{where}: {p}" for p in probe.official_without_text(page)]
        probe.TALLY.add("trust raises")
    assert not problems, "\n".join(problems[:40])
