"""The administration pages: publish through the form or a file with a preview first, stale forms,
withdrawals, the audit log and the exports, as admins and clerks use them."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rates import audit, transfer
from rates.loader import load_tree
from rates.months import Month
from rates.publish import STALE_MESSAGE
from rates.store import VersionRow
from service import create_app
from tests.admin_support import PASSWORD, WAGE_2026_FORM, add_user, confirm_data, login, open_form, preview


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'admin.sqlite3'}"})
    app.config["LOGIN_FAILURE_DELAY"] = 0
    add_user(app, "alice")
    add_user(app, "bob")
    add_user(app, "clara", "clerk")
    return app


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert login(client, "alice").status_code == 302
    return client


def versions(app: Flask) -> int:
    with Session(app.extensions["rates"].engine) as session:
        return session.scalar(select(func.count()).select_from(VersionRow)) or 0


def entries(app: Flask, action: str | None = None) -> list[audit.AuditEntry]:
    with Session(app.extensions["rates"].engine) as session:
        return audit.entries(session, action=action)


def wage(app: Flask) -> str:
    """南昌's average wage in force in March 2026."""
    version = app.extensions["rates"].snapshot().at("360100", "avg_wage", Month(2026, 3)).version
    return str(version.values["avg_wage_monthly"])


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_overview_lists_every_region_and_family_with_the_version_in_force(admin: FlaskClient) -> None:
    html = admin.get("/admin").get_data(as_text=True)
    for name in ("全国", "江西省", "南昌市", "云南省", "昆明市"):
        assert name in html
    assert "赣人社字〔2025〕150号" in html and "沿用江西省" in html
    assert 'href="/admin/publish?region=360100&amp;family=outlet_injury"' in html
    assert html.count("未配置") >= 2  # flexible_medical: no sourced figure anywhere
    for code in ("000000", "360000", "360100", "530000", "530100"):  # a long page: every region one tap away
        assert f'<a href="#r-{code}">' in html and f'id="r-{code}"' in html


def test_form_is_generated_from_the_family_and_prefilled_with_the_figures_in_force(admin: FlaskClient) -> None:
    html = admin.get("/admin/publish?region=360000&family=avg_wage").get_data(as_text=True)
    for label in (
        "月平均工资",
        "缴费基数下限（公布值）",
        "缴费基数上限（公布值）",
        "缴费年度",
        "生效月份",
        "文号",
        "可信度",
    ):
        assert f">{label}</label>" in html, label
    assert 'name="avg_wage_monthly" type="text" value="6525"' in html
    for field_id in re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html):
        assert f'for="{field_id}"' in html, f"field {field_id} has no label"
    rounding = admin.get("/admin/publish?region=000000&family=base_rounding").get_data(as_text=True)
    assert '<select id="f-rule" name="rule"' in rounding and "缴费年度" not in rounding
    assert "请选择地区和参数类别" not in admin.get("/admin/publish").get_data(as_text=True)
    assert 'id="c-region"' in admin.get("/admin/publish?region=999999&family=avg_wage").get_data(as_text=True)


def test_preview_shows_old_and_new_figures_and_the_effect_then_confirm_publishes(
    app: Flask, admin: FlaskClient
) -> None:
    before = versions(app)
    response = preview(admin, open_form(admin))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert versions(app) == before  # nothing saved by the preview
    page = text(html)
    assert "月平均工资 6525 6800 2026-01" in page
    assert "文号 赣人社字〔2025〕150号 赣人社字〔2026〕1号" in page
    # a flexible worker at 60% in 南昌: 6525 x 60% x 20% = 783.00 before, 6800 x 60% x 20% = 816.00 after
    assert "南昌市 2026-01 灵活就业养老保险 60%档 月缴费 783.00 816.00" in page
    assert "南昌市 2026-01 快递网点工伤保险 每名快递员每月 65.25 68.00" in page
    assert wage(app) == "6525"

    done = admin.post("/admin/publish/confirm", data=confirm_data(html))
    assert done.status_code == 303 and done.headers["Location"] == "/admin"
    assert "已发布：新增 1 个版本" in admin.get("/admin").get_data(as_text=True)
    assert wage(app) == "6800"
    calc = {"region": "360100", "scheme": "flexible_pension", "start": "2026-03", "end": "2026-03", "base_ratio": "0.6"}
    assert admin.post("/api/v1/calculate", json=calc).get_json()["total"] == "816.00"
    (entry,) = entries(app, "publish")
    assert (entry.actor, entry.address, entry.target) == ("alice", "127.0.0.1", "360000/avg_wage/2026-01")
    assert entry.before is None and entry.after["values"]["avg_wage_monthly"] == "6800"


def test_form_errors_are_shown_next_to_their_field_and_nothing_is_saved(app: Flask, admin: FlaskClient) -> None:
    before = versions(app)
    form = {**WAGE_2026_FORM, "avg_wage_monthly": "六千八", "doc_no": "", "trust": "", "effective_from": "2026/1"}
    response = preview(admin, open_form(admin), form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "生效月份：请填写年月" in html and "可信度：请选择" in html and "文号：必须填写" in html
    assert 'value="六千八"' in html  # what was typed is kept
    bad_value = preview(admin, open_form(admin), {**WAGE_2026_FORM, "avg_wage_monthly": "六千八"})
    assert '<p class="field-error" id="e-avg_wage_monthly">月平均工资：不是有效的数字' in bad_value.get_data(
        as_text=True
    )
    no_title = preview(admin, open_form(admin), {**WAGE_2026_FORM, "title": ""})
    assert '<p class="field-error" id="e-title">' in no_title.get_data(as_text=True)
    out_of_range = {"region": "000000", "family": "flexible_pension", "effective_from": "2027-01", "rate": "1.2"}
    ratio = preview(admin, open_form(admin, "000000", "flexible_pension"), {**WAGE_2026_FORM, **out_of_range})
    assert "缴费比例：比例须在0至1之间（填写的是1.2）" in ratio.get_data(as_text=True)
    assert versions(app) == before and entries(app, "publish") == []


def test_second_admin_over_the_same_version_is_refused_as_stale(app: Flask, admin: FlaskClient) -> None:
    other = app.test_client()
    login(other, "bob")
    seen_by_alice, seen_by_bob = open_form(admin), open_form(other)
    alice = preview(admin, seen_by_alice).get_data(as_text=True)
    bob = preview(other, seen_by_bob, {**WAGE_2026_FORM, "avg_wage_monthly": "6900"}).get_data(as_text=True)
    assert admin.post("/admin/publish/confirm", data=confirm_data(alice)).status_code == 303
    rows = versions(app)
    refused = other.post("/admin/publish/confirm", data=confirm_data(bob))
    assert refused.status_code == 409
    assert STALE_MESSAGE in refused.get_data(as_text=True)
    assert versions(app) == rows and wage(app) == "6800"  # no lost update: Alice's figure stands
    # the preview's hidden proposal is checked again: a changed region or family is not trusted
    tampered = confirm_data(bob)
    tampered["payload"] = tampered["payload"].replace('"360000"', '"530000"')
    assert admin.post("/admin/publish/confirm", data=tampered).status_code == 409
    assert admin.post("/admin/publish/confirm", data={"payload": "{", "based_on": "[]"}).status_code == 422


def test_correction_supersedes_and_history_keeps_both(app: Flask, admin: FlaskClient) -> None:
    form = {**WAGE_2026_FORM, "effective_from": "2025-01", "contribution_year": "2025", "avg_wage_monthly": "6525"}
    form |= {"base_floor_monthly": "3915", "base_ceiling_monthly": "19575", "trust": "low"}
    html = preview(admin, open_form(admin), form).get_data(as_text=True)
    assert "更正 v" in html and "可信度 较可靠（medium） 待核实（low）" in text(html)
    assert admin.post("/admin/publish/confirm", data=confirm_data(html)).status_code == 303
    (entry,) = entries(app, "correct")
    assert entry.before["trust"] == "medium" and entry.after["trust"] == "low"
    history = admin.get("/api/v1/parameters/360000/history").get_json()["versions"]
    assert len([v for v in history if v["family"] == "avg_wage" and v["effective_from"] == "2025-01"]) == 2


def test_same_figures_again_are_not_published(admin: FlaskClient) -> None:
    form = {**WAGE_2026_FORM, "effective_from": "2025-01", "contribution_year": "2025", "avg_wage_monthly": "6525"}
    form |= {"base_floor_monthly": "3915", "base_ceiling_monthly": "19575", "trust": "medium"}
    form |= {
        "title": "2024年度全省全口径城镇单位就业人员平均工资及2025年度缴费基数上下限",
        "doc_no": "赣人社字〔2025〕150号",
    }
    bundled = next(v for v in load_tree()[1] if (v.region, v.contribution_year) == ("360000", 2025))
    form["source"] = bundled.references[0].source or ""
    form["note"] = bundled.note or ""
    response = preview(admin, open_form(admin), form)
    assert response.status_code == 422
    assert "没有需要发布的内容" in response.get_data(as_text=True)
    assert 'name="payload"' not in response.get_data(as_text=True)


def upload(client: FlaskClient, data: bytes, name: str, **form: str) -> tuple[int, str]:
    response = client.post(
        "/admin/upload", data={"file": (io.BytesIO(data), name), **form}, content_type="multipart/form-data"
    )
    return response.status_code, response.get_data(as_text=True)


def workbook_with(app: Flask, rows: list[dict[str, str]]) -> bytes:
    """The template with ``rows`` filled in by their keys."""
    book = openpyxl.load_workbook(io.BytesIO(transfer.template_workbook(app.extensions["rates"].snapshot())))
    sheet = book["参数"]
    keys = [re.search(r"（(\w+)）", str(c.value)).group(1) for c in sheet[1]]  # type: ignore[union-attr]
    for row in rows:
        sheet.append([row.get(key) for key in keys])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


WAGE_ROW = {
    "region": "360000",
    "family": "avg_wage",
    "effective_from": "2026-01",
    "contribution_year": "2026",
    "avg_wage_monthly": "6800",
    "trust": "medium",
    "ref1_title": "2025年度全省全口径城镇单位就业人员平均工资",
    "ref1_doc_no": "赣人社字〔2026〕1号",
}


def test_uploaded_workbook_with_one_bad_value_publishes_nothing_and_names_the_cell(
    app: Flask, admin: FlaskClient
) -> None:
    template = admin.get("/admin/template.xlsx")
    assert template.status_code == 200 and template.mimetype.endswith("spreadsheetml.sheet")
    before = versions(app)
    outlet = {"region": "360100", "family": "outlet_injury", "effective_from": "2026-01", "ratio": "百分之一"}
    outlet |= {"trust": "medium", "ref1_title": "测试用通知", "ref1_doc_no": "测试〔2026〕2号"}
    status, html = upload(admin, workbook_with(app, [WAGE_ROW, outlet]), "参数.xlsx")
    assert status == 422
    assert "第3行（单元格" in html and "每人每月缴费占月平均工资比例：不是有效的数字" in html
    assert 'name="payload"' not in html
    assert versions(app) == before and entries(app, "import") == []


def test_uploaded_workbook_previews_then_publishes_all_rows_in_one_go(app: Flask, admin: FlaskClient) -> None:
    outlet = {"region": "360100", "family": "outlet_injury", "effective_from": "2026-01", "ratio": "0.01"}
    outlet |= {"trust": "medium", "ref1_title": "测试用通知", "ref1_doc_no": "测试〔2026〕2号"}
    jiangxi_outlet = app.extensions["rates"].snapshot().at("360000", "outlet_injury", Month(2026, 1)).version.id
    status, html = upload(admin, workbook_with(app, [WAGE_ROW, outlet]), "参数.xlsx")
    assert status == 200, text(html)[:2000]
    assert "南昌市 2026-01 快递网点工伤保险 每名快递员每月 65.25 68.00" in text(html)
    assert admin.post("/admin/publish/confirm", data=confirm_data(html)).status_code == 303
    assert f"原值（v{jiangxi_outlet}，沿用江西省）" in html  # 南昌's first own outlet version: compared with 江西's
    assert "每人每月缴费占月平均工资比例 0.01 0.01 （未变）" in text(html)  # shown, marked as the same
    assert wage(app) == "6800" and len(entries(app, "import")) == 2
    resolved = app.extensions["rates"].snapshot().at("360100", "outlet_injury", Month(2026, 1))
    assert resolved.level == "360100"


def test_a_set_refused_inside_the_transaction_leaves_nothing_behind(app: Flask, admin: FlaskClient) -> None:
    """Each row is fine alone; together the years run backwards, which only the transaction sees: all or nothing."""
    later = {**WAGE_ROW, "effective_from": "2027-01", "contribution_year": "2025", "avg_wage_monthly": "6900"}
    status, html = upload(admin, workbook_with(app, [WAGE_ROW, later]), "参数.xlsx")
    assert status == 200
    before = versions(app)
    refused = admin.post("/admin/publish/confirm", data=confirm_data(html))
    assert refused.status_code == 422
    assert "缴费年度：2027-01起的版本年度（2025）须晚于2026-01起的版本（2026）" in refused.get_data(as_text=True)
    assert versions(app) == before and wage(app) == "6525" and entries(app, "import") == []


def test_uploaded_export_with_one_change_publishes_just_that_change(app: Flask, admin: FlaskClient) -> None:
    data = admin.get("/admin/export.xlsx").get_data()
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["参数"]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "360000" and row[1].value == "outlet_injury":  # 江西's (河南 has one too, issue 24)
            row[4 + [c.value for c in sheet[1]][4:].index("每人每月缴费占月平均工资比例（ratio）")].value = "0.012"
            row[[c.value for c in sheet[1]].index("依据1文号（ref1_doc_no）")].value = "测试〔2026〕3号"
    buffer = io.BytesIO()
    book.save(buffer)
    status, html = upload(admin, buffer.getvalue(), "export.xlsx")
    assert status == 200 and html.count("与在用版本相同，不会写入") >= 5
    before = versions(app)
    assert admin.post("/admin/publish/confirm", data=confirm_data(html)).status_code == 303
    assert versions(app) == before + 1
    (entry,) = entries(app, "correct")
    assert entry.after["values"]["ratio"] == "0.012"


def test_uploaded_yaml_file_needs_its_region_and_family(app: Flask, admin: FlaskClient) -> None:
    snapshot = app.extensions["rates"].snapshot()
    tree = transfer.yaml_tree(snapshot)
    text_2026 = (
        tree["360000/avg_wage.yaml"]
        + '  "2026-01":\n    contribution_year: 2026\n    avg_wage_monthly: "6800"\n'
        + "    reference:\n      title: 测试\n      doc_no: 赣人社字〔2026〕1号\n    trust: medium\n"
    )
    status, html = upload(admin, text_2026.encode(), "avg_wage.yaml")
    assert status == 422 and "请选择它所属的地区和参数类别" in html
    status, html = upload(admin, text_2026.encode(), "avg_wage.yaml", region="360000", family="avg_wage")
    assert status == 200 and "月平均工资 6525 6800 2026-01" in text(html)
    broken = text_2026.replace('avg_wage_monthly: "6800"', "avg_wage_monthly: 6800")
    status, html = upload(admin, broken.encode(), "avg_wage.yaml", region="360000", family="avg_wage")
    assert status == 422 and "“2026-01.avg_wage_monthly” 月平均工资：数字须写成带引号的文本" in html
    status, html = upload(admin, b"not a workbook", "x.xlsx")
    assert status == 422 and "不是有效的 .xlsx 工作簿" in html
    status, html = upload(admin, b"a,b", "x.csv")
    assert status == 422 and "只接受 .xlsx 工作簿、.yaml 参数文件或导出的 .zip" in html


def rezipped(data: bytes, changes: dict[str, str | None]) -> bytes:
    """The archive with files replaced (a str), left out (None) or added."""
    source, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in source.namelist():
            if name not in changes:
                archive.writestr(name, source.read(name))
        for name, content in changes.items():
            if content is not None:
                archive.writestr(name, content)
    return buffer.getvalue()


def test_uploaded_zip_of_the_export_publishes_only_what_changed(app: Flask, admin: FlaskClient) -> None:
    exported = admin.get("/admin/export.zip").get_data()
    status, html = upload(admin, exported, "参数库.zip")
    assert status == 422 and "没有需要发布的内容" in html  # the store as it is
    outlet = zipfile.ZipFile(io.BytesIO(exported)).read("360000/outlet_injury.yaml").decode()
    outlet = outlet.replace("'0.01'", "'0.012'").replace("洪人社发〔2022〕88号", "测试〔2026〕5号")
    status, html = upload(admin, rezipped(exported, {"999999/avg_wage.yaml": "values: {}\n"}), "参数库.zip")
    assert status == 422 and "999999/avg_wage.yaml：须为“地区代码/参数类别.yaml”" in html
    status, html = upload(admin, rezipped(exported, {"360000/outlet_injury.yaml": outlet}), "参数库.zip")
    assert status == 200 and "每人每月缴费占月平均工资比例 0.01 0.012" in text(html)
    assert admin.post("/admin/publish/confirm", data=confirm_data(html)).status_code == 303
    (entry,) = entries(app, "correct")
    assert entry.target == "360000/outlet_injury/2022-05" and entry.after["values"]["ratio"] == "0.012"


def test_withdrawal_is_a_new_record_and_needs_a_reference(app: Flask, admin: FlaskClient) -> None:
    version = app.extensions["rates"].snapshot().at("360000", "outlet_injury", Month(2025, 1)).version
    page = admin.get(f"/admin/withdraw/{version.id}")
    assert page.status_code == 200 and "洪人社发〔2022〕88号" in page.get_data(as_text=True)
    # nothing is in force before it: the outlet premium of 南昌 in May 2022 would no longer be priced
    assert "南昌市 2022-05 快递网点工伤保险 每名快递员每月 " in text(page.get_data(as_text=True))
    assert "无法测算" in page.get_data(as_text=True)
    missing = admin.post(f"/admin/withdraw/{version.id}", data={"title": "测试撤回"})
    assert missing.status_code == 422 and "文号" in missing.get_data(as_text=True)
    data = {"title": "测试撤回", "doc_no": "测试〔2026〕4号", "note": "test only"}
    assert admin.post(f"/admin/withdraw/{version.id}", data=data).status_code == 303
    again = admin.post(f"/admin/withdraw/{version.id}", data=data)
    assert again.status_code in (409, 200) and "不能再撤回" in again.get_data(as_text=True)
    (entry,) = entries(app, "withdraw")
    assert entry.before["id"] == version.id and entry.after["withdrawn"] is True
    history = admin.get("/api/v1/parameters/360100/history").get_json()["versions"]
    assert any(v["id"] == version.id and not v["active"] for v in history)
    assert admin.get("/admin/withdraw/999999").status_code == 404


def test_audit_log_filters_by_action_and_downloads(app: Flask, admin: FlaskClient) -> None:
    html = preview(admin, open_form(admin)).get_data(as_text=True)
    admin.post("/admin/publish/confirm", data=confirm_data(html))
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert 'data-action="publish"' in page and 'data-action="login"' in page
    assert "月平均工资：— → 6800" in page and "127.0.0.1" in page
    only = admin.get("/admin/audit?action=publish").get_data(as_text=True)
    assert 'data-action="publish"' in only and 'data-action="login"' not in only
    download = admin.get("/admin/audit.xlsx?action=publish")
    assert download.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(download.get_data())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("编号", "时间（北京时间）", "操作人", "操作", "对象", "来源地址")
    assert len(rows) == 2 and rows[1][2:6] == (
        "alice",
        "发布新版本",
        "江西省 · 上年度全省全口径城镇单位就业人员月平均工资 · 2026-01起",  # in words, not 360000/avg_wage/2026-01
        "127.0.0.1",
    )
    assert json.loads(rows[1][8])["values"]["avg_wage_monthly"] == "6800"
    by_someone_else = admin.get("/admin/audit?actor=bob").get_data(as_text=True)
    assert "data-action=" not in by_someone_else and 'value="bob"' in by_someone_else
    assert 'data-action="publish"' in admin.get("/admin/audit?actor=alice").get_data(as_text=True)


def test_clerk_downloads_exports_in_both_formats(app: Flask) -> None:
    clerk = app.test_client()
    login(clerk, "clara")
    assert "仅含在用版本" in clerk.get("/admin/export").get_data(as_text=True)
    archive = zipfile.ZipFile(io.BytesIO(clerk.get("/admin/export.zip").get_data()))
    assert "regions.yaml" in archive.namelist() and "360000/avg_wage.yaml" in archive.namelist()
    assert '"2025-01":' in archive.read("360000/avg_wage.yaml").decode()
    book = openpyxl.load_workbook(io.BytesIO(clerk.get("/admin/export.xlsx").get_data()))
    assert book["参数"]["A1"].value == "地区代码（region）"


def test_pages_work_with_csrf_on(tmp_path: Path) -> None:
    """The whole publish round trip with real tokens, as in production."""
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"})
    add_user(app, "alice")
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert token
    login(client, "alice", csrf_token=token.group(1))
    form = client.get("/admin/publish?region=360000&family=avg_wage").get_data(as_text=True)
    fields = dict(re.findall(r'name="(csrf_token|revision)" value="([^"]*)"', form))
    html = client.post("/admin/publish", data={**WAGE_2026_FORM, **fields}).get_data(as_text=True)
    data = confirm_data(html) | {"csrf_token": fields["csrf_token"]}
    assert client.post("/admin/publish/confirm", data=data).status_code == 303
    assert wage(app) == "6800"


def test_audit_entries_read_as_words(app: Flask) -> None:
    """Issue 23: the operator ``cli`` and the object ``user/clerk1`` are put into words a person reads."""
    from service.admin.audit_words import actor_words, target_words

    assert actor_words("cli") == "服务器命令行（管理员）" and actor_words("alice") == "alice"
    assert target_words("user/clerk1", {}) == "账号 clerk1"
    assert target_words("360100/avg_wage/2025-01", {"360100": "南昌市"}).startswith("南昌市 · ")
    assert target_words("测算单 20261203-000001", {}) == "测算单 20261203-000001"
    add_user(app, "clerk1", role="clerk")  # by the command line: actor "cli"
    client = app.test_client()
    add_user(app, "root", role="admin")
    client.post("/login", data={"username": "root", "password": PASSWORD})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "服务器命令行（管理员）" in page and "账号 clerk1" in page
    assert ">cli<" not in page and "user/clerk1" not in page
