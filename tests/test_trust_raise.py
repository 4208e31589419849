"""Issue 25: raising trust honestly. An administrator attaches the notice's verbatim sentence and its page to a
version (/admin/trust, POST /api/v1/admin/trust-raises); another approves or refuses it; 官方原文 is shown only where
the text is held; every step is audited in Chinese. Bad input: tests/cases/trust_raises.yaml."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rates import audit, raises
from rates.months import Month
from rates.rows import VersionRow, version_to_row
from service import create_app
from tests.admin_support import WAGE_2026_FORM, add_user, login

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "trust_raises.yaml").read_text(encoding="utf-8"))
URL = "/api/v1/admin/trust-raises"


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'trust.sqlite3'}"})
    for name, role in (("alice", "admin"), ("bob", "admin"), ("clara", "clerk")):
        add_user(app, name, role)
    return app


def client_of(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, name).status_code == 302
    return client


def version_id(app: Flask, case: dict[str, Any]) -> int:
    where = case["version"]
    version = app.extensions["rates"].snapshot().at(where["region"], where["family"], Month.parse(where["month"]))
    assert version.version.id is not None
    return version.version.id


def body_of(case: dict[str, Any]) -> dict[str, Any]:
    body = dict(case["body"])
    if "note_chars" in case:
        body["note"] = "长" * case["note_chars"]
    return body


def counts(app: Flask) -> tuple[int, int, int]:
    with Session(app.extensions["rates"].engine) as session:
        return (
            session.scalar(select(func.count()).select_from(VersionRow)) or 0,
            session.scalar(select(func.count()).select_from(raises.TrustRaiseRow)) or 0,
            session.scalar(select(func.count()).select_from(audit.AuditRow).where(audit.AuditRow.action.like("trust%")))
            or 0,
        )


@pytest.mark.parametrize("case", CASES["refused"], ids=lambda c: c["name"])
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(app: Flask, case: dict[str, Any]) -> None:
    alice, target = client_of(app, "alice"), version_id(app, case)
    before = counts(app)
    answer = alice.post(URL, json={"version_id": target, **body_of(case)})
    error = answer.get_json()["error"]
    assert answer.status_code == (400 if "api_message" in case else 422), error
    assert case.get("api_message", case["message"]) in error["message"], error
    assert error["field"] == case["field"] or case["field"] in error.get("fields", {}), error
    assert re.search(r"[\u4e00-\u9fff]", error["message"])
    page = alice.post(f"/admin/trust/new/{target}", data={**body_of(case)})
    assert page.status_code == 422 and case["message"] in page.get_data(as_text=True)
    assert counts(app) == before


@pytest.mark.parametrize("case", CASES["accepted"], ids=lambda c: c["name"])
def test_good_input_is_a_pending_raise_marking_a_government_site(app: Flask, case: dict[str, Any]) -> None:
    answer = client_of(app, "alice").post(URL, json={"version_id": version_id(app, case), **body_of(case)})
    assert answer.status_code == 201, answer.get_json()
    made = answer.get_json()
    assert made["status"] == "pending" and made["status_label"] == "待核准" and made["proposed_by"] == "alice"
    assert made["government_site"] is case["government_site"]
    assert made["excerpt"] == case["body"]["excerpt"].strip()


def test_four_eyes_approval_makes_the_version_official_with_its_text_and_audits_each_step(app: Flask) -> None:
    alice, bob, clara = (client_of(app, n) for n in ("alice", "bob", "clara"))
    case = CASES["accepted"][0]
    old = version_id(app, case)
    made = alice.post(URL, json={"version_id": old, **case["body"]}).get_json()
    # listed as pending, for clerks too (they may look), on the page and in the API
    assert [r["id"] for r in clara.get(f"{URL}?status=pending").get_json()["raises"]] == [made["id"]]
    assert case["body"]["excerpt"] in clara.get("/admin/trust").get_data(as_text=True)
    assert clara.post(URL, json={"version_id": old, **case["body"]}).status_code == 403
    # a second proposal on the same version waits for the first to be decided
    again = alice.post(URL, json={"version_id": old, **case["body"]}).get_json()["error"]
    assert "已有待核准的申请" in again["message"]
    # the proposer cannot approve their own raise: nothing is written
    own = alice.post(f"{URL}/{made['id']}/approve", json={})
    assert own.status_code == 422 and "四眼原则" in own.get_json()["error"]["message"]
    assert "须由另一位管理员核准" in alice.get("/admin/trust").get_data(as_text=True)
    approved = bob.post(f"{URL}/{made['id']}/approve", json={"reason": "已打开网页核对原句"})
    assert approved.status_code == 201, approved.get_json()
    done = approved.get_json()
    assert done["status"] == "approved" and done["reviewed_by"] == "bob" and done["result_version_id"]
    snap = app.extensions["rates"].snapshot()
    new = snap.at("340000", "avg_wage", Month(2025, 6)).version
    assert new.id == done["result_version_id"] and new.supersedes == old and new.trust == "official"
    held = new.references[0]
    assert (held.excerpt, held.excerpt_url, held.excerpt_by) == (
        case["body"]["excerpt"],
        case["body"]["url"],
        "alice",
    )
    raised_from = next(v for v in snap.all_versions if v.id == old)
    assert new.recorded_by == "bob" and held.excerpt_at and new.values == raised_from.values
    # the compilation-only source line now names the page the sentence was read on (more than a compilation)
    assert held.source and held.source.startswith(f"通知原文见 {case['body']['url']}")
    # public: the 参数 page quotes the sentence with its page; the API cites it; the answer is 官方原文
    page = app.test_client().get("/parameters/340000").get_data(as_text=True)
    assert (
        f"通知原文：<q>{case['body']['excerpt']}</q>" in page
        and "未见通知原文" not in page.split(f'id="v{new.id}"')[1].split("</article>")[0]
    )
    calc = {"region": "340000", "scheme": "flexible_pension", "start": "2025-06", "end": "2025-06", "base_ratio": "0.6"}
    (cited,) = [
        r
        for r in app.test_client().post("/api/v1/calculate", json=calc).get_json()["references"]
        if r["family"] == "avg_wage"
    ]
    assert cited["trust"] == "official" and cited["references"][0]["excerpt"] == case["body"]["excerpt"]
    # audited in Chinese words: proposed, approved (trust 较可靠 -> 官方原文)
    audit_page = bob.get("/admin/audit").get_data(as_text=True)
    for words in (
        "提出提升可信度（附原文摘录）",
        "核准提升可信度（官方原文）",
        "可信度：较可靠 → 官方原文",
        f"核准，写入官方原文版本 v{new.id}",
    ):
        assert words in audit_page
    with Session(app.extensions["rates"].engine) as session:
        actions = [(e.action, e.actor) for e in audit.entries(session) if e.action.startswith("trust")]
    assert actions == [("trust_approve", "bob"), ("trust_propose", "alice")]
    # decided: neither approved again nor refused
    assert bob.post(f"{URL}/{made['id']}/approve", json={}).status_code == 409
    assert bob.post(f"{URL}/{made['id']}/refuse", json={"reason": "晚了"}).status_code == 409


def test_refusal_needs_a_reason_and_is_audited(app: Flask) -> None:
    alice, bob = client_of(app, "alice"), client_of(app, "bob")
    case = CASES["accepted"][0]
    made = alice.post(URL, json={"version_id": version_id(app, case), **case["body"]}).get_json()
    missing = bob.post(f"{URL}/{made['id']}/refuse", json={"reason": "  "})
    assert missing.status_code == 422 and "驳回理由" in missing.get_json()["error"]["message"]
    page = bob.post(f"/admin/trust/{made['id']}/refuse", data={"reason": ""})
    assert page.status_code == 422 and "请写明驳回的原因" in page.get_data(as_text=True)
    before = counts(app)[0]
    refused = bob.post(f"/admin/trust/{made['id']}/refuse", data={"reason": "网页上没有这句话"})
    assert refused.status_code == 303
    listed = bob.get(f"{URL}?status=refused").get_json()["raises"]
    assert [(r["id"], r["reason"], r["reviewed_by"]) for r in listed] == [(made["id"], "网页上没有这句话", "bob")]
    assert counts(app)[0] == before  # no version written
    assert app.extensions["rates"].snapshot().at("340000", "avg_wage", Month(2025, 6)).version.trust == "medium"
    assert "驳回理由：网页上没有这句话" in bob.get("/admin/audit").get_data(as_text=True)
    assert bob.post(f"{URL}/999/refuse", json={"reason": "x"}).status_code == 422


def test_a_version_corrected_meanwhile_cannot_be_raised(app: Flask) -> None:
    alice, bob = client_of(app, "alice"), client_of(app, "bob")
    case = CASES["accepted"][0]
    target = version_id(app, case)
    made = alice.post(URL, json={"version_id": target, **case["body"]}).get_json()
    snap = app.extensions["rates"].snapshot()
    version = next(v for v in snap.all_versions if v.id == target)
    with Session(app.extensions["rates"].engine) as session, session.begin():  # someone corrects it meanwhile
        session.add(version_to_row(dataclasses.replace(version, note="更正说明"), "carol", supersedes=target))
    stale = bob.post(f"{URL}/{made['id']}/approve", json={})
    assert stale.status_code == 409 and "已被更正或撤回" in stale.get_json()["error"]["message"]
    assert bob.post(f"/admin/trust/{made['id']}/approve", data={}).status_code == 409


def test_one_admins_publication_cannot_claim_official(app: Flask) -> None:
    """官方原文 through the publish form (no text) or an upload carrying new text would skip the review."""
    alice = client_of(app, "alice")
    form = {**WAGE_2026_FORM, "trust": "official"}
    answer = alice.post("/admin/publish", data=form)
    assert answer.status_code == 422 and "由另一位管理员核准" in answer.get_data(as_text=True)
    version = {k: v for k, v in form.items() if k not in ("title", "doc_no", "contribution_year")}
    version |= {"contribution_year": 2026, "reference": {"title": "通知", "doc_no": "赣人社字〔2026〕1号"}}
    version["reference"] |= {"excerpt": "月平均工资为6800元。", "excerpt_url": "https://rst.jiangxi.gov.cn/a.html"}
    refused = alice.post("/api/v1/admin/publish", json={"versions": [version], "dry_run": True})
    assert refused.status_code == 422 and "官方原文须经另一位管理员核准" in refused.get_json()["error"]["message"]


def test_a_record_claiming_official_without_held_text_reads_as_what_it_can_show(app: Flask) -> None:
    """A database filled before issue 25 may hold 官方原文 without text: it reads (API, pages) as 较可靠."""
    snap = app.extensions["rates"].snapshot()
    old = snap.at("360000", "avg_wage", Month(2025, 6)).version
    row = version_to_row(dataclasses.replace(old, trust="official", note="旧记录"), "old-db", supersedes=old.id)
    with Session(app.extensions["rates"].engine) as session, session.begin():
        session.add(row)
    now = app.extensions["rates"].snapshot().at("360000", "avg_wage", Month(2025, 6)).version
    assert now.note == "旧记录" and now.trust == "medium"
    page = app.test_client().get("/parameters/360000").get_data(as_text=True)
    assert f'id="v{now.id}"' in page and "trust-official" not in page.split(f'id="v{now.id}"')[1].split("</article>")[0]


def test_the_routes_are_documented(app: Flask) -> None:
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths[URL])
    for action in ("approve", "refuse"):
        assert "post" in paths[URL + "/{raise_id}/" + action]
    assert json.dumps(paths[URL]["post"], ensure_ascii=False).count("原文") >= 1


def test_a_version_is_chosen_by_its_number(app: Flask) -> None:
    alice = client_of(app, "alice")
    assert alice.get("/admin/trust/new?version=v78").headers["Location"].endswith("/admin/trust/new/78")
    wrong = alice.get("/admin/trust/new?version=七十八")
    assert wrong.status_code == 422 and "请填写参数页上的版本号" in wrong.get_data(as_text=True)
    assert alice.get("/admin/trust/new/99999999").status_code == 404


def test_the_store_keeps_raises_on_every_database(db_url: str) -> None:
    """rates.raises on SQLite and PostgreSQL: propose, refuse, propose again, approve (another admin), audited."""
    from rates.loader import load_tree
    from rates.store import ParameterStore
    from service.core import migrate
    from service.core.db import make_engine

    engine = make_engine(db_url)
    migrate.upgrade(engine)  # the trust_raise table as migration 0008 makes it
    store = ParameterStore(engine)
    store.load(*load_tree())
    target = store.snapshot().at("340000", "avg_wage", Month(2025, 6)).version
    assert target.id is not None
    case = CASES["accepted"][0]["body"]
    first = raises.propose(store, target.id, case["excerpt"], case["url"], None, "alice")
    raises.refuse(store, first, "网址打错了", "bob")
    second = raises.propose(store, target.id, case["excerpt"], case["url"], None, "alice")
    with pytest.raises(raises.PublishError, match="四眼原则"):
        raises.approve(store, second, "alice")
    new = raises.approve(store, second, "bob", remark="核对无误")
    raised = store.snapshot().at("340000", "avg_wage", Month(2025, 6)).version
    assert raised.id == new and raised.trust == "official" and raised.references[0].excerpt == case["excerpt"]
    assert [(r.id, r.status) for r in raises.raises(store)] == [(second, "approved"), (first, "refused")]
    with Session(engine) as session:
        actions = [e.action for e in audit.entries(session) if e.action.startswith("trust")]
    assert actions == ["trust_approve", "trust_propose", "trust_refuse", "trust_propose"]
