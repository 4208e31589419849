"""The administration pages as an admin reads them: form attributes that work (keypad, limits),
choices and trust levels in Chinese, the rounding rule as the service's rule, and the README's commands."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from rates import audit
from rates.families import BASE_ROUNDING_RULES, CHOICE_LABELS, TRUST_LABELS
from service import create_app
from service.admin.views import FIGURE_LENGTH, TEXT_LIMIT, _changes
from tests.admin_support import add_user, confirm_data, login, open_form, preview

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def admin(tmp_path: Path) -> FlaskClient:
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'admin-pages.sqlite3'}"})
    app.config["LOGIN_FAILURE_DELAY"] = 0
    add_user(app, "alice")
    client = app.test_client()
    assert login(client, "alice").status_code == 302
    return client


def input_tag(html: str, name: str) -> str:
    match = re.search(rf'<input id="f-{name}"[^>]*>', html)
    assert match, name
    return match.group(0)


def test_publish_form_attributes_are_attributes(admin: FlaskClient) -> None:
    html = admin.get("/admin/publish?region=360000&family=avg_wage").get_data(as_text=True)
    assert "&#34;" not in html and "&quot;" not in html  # nothing autoescaped into an attribute's text
    wage = input_tag(html, "avg_wage_monthly")
    assert ' inputmode="decimal"' in wage and f' maxlength="{FIGURE_LENGTH}"' in wage
    assert " required" not in wage  # optional since issue 10: a notice may publish both ends and no average
    assert " required" in input_tag(html, "effective_from")  # a required figure says so
    assert " required" not in input_tag(html, "base_floor_monthly")  # optional figures stay optional
    year = input_tag(html, "contribution_year")
    assert ' inputmode="numeric"' in year and ' maxlength="4"' in year
    for name in ("title", "doc_no", "source", "url", "note"):
        assert f' maxlength="{TEXT_LIMIT}"' in input_tag(html, name), name
    ratios = admin.get("/admin/publish?region=000000&family=flexible_pension").get_data(as_text=True)
    assert "范围0%至100%" in ratios and "范围0%至500%" in ratios  # a ratio's range as percentages
    assert ' inputmode="decimal"' in input_tag(ratios, "rate")


def test_trust_levels_and_choices_are_in_chinese_only(admin: FlaskClient) -> None:
    html = admin.get("/admin/publish?region=360000&family=avg_wage").get_data(as_text=True)
    trust = re.findall(r"<option value=\"(\w*)\"[^>]*>([^<]*)</option>", html[html.index('id="f-trust"') :])
    assert trust[:4] == [("", "请选择"), *((key, label) for key, label in TRUST_LABELS.items())]
    assert "（official）" not in html and "(official)" not in html
    html = admin.get("/admin/publish?region=000000&family=base_rounding").get_data(as_text=True)
    rules = re.findall(r'<option value="(\w+)"[^>]*>([^<]+)</option>', html[html.index('id="f-rule"') :])
    assert rules[: len(BASE_ROUNDING_RULES)] == [(rule, CHOICE_LABELS[rule]) for rule in BASE_ROUNDING_RULES]
    upload = admin.get("/admin/upload").get_data(as_text=True)
    assert "（avg_wage）" not in upload and "（文件 avg_wage.yaml）" in upload


def test_overview_shows_percentages_rule_names_and_the_service_rule(admin: FlaskClient) -> None:
    html = admin.get("/admin").get_data(as_text=True)
    assert "缴费比例 20%" in html and "取整规则 四舍五入到元" in html and "half_up_yuan" not in html
    rounding = html[html.index("缴费基数取整规则") : html.index("</tr>", html.index("缴费基数取整规则"))]
    assert "本服务计算规则" in rounding and "待核实" not in rounding
    assert '<td class="row-actions">' in html


def test_a_rule_change_is_previewed_by_its_chinese_name(admin: FlaskClient) -> None:
    revision = open_form(admin, "000000", "base_rounding")
    form = {
        "region": "000000",
        "family": "base_rounding",
        "effective_from": "2026-01",
        "rule": "down_yuan",
        "title": "测试用取整规则（非真实文件）",
        "doc_no": "测试〔2026〕1号",
        "trust": "low",
    }
    response = preview(admin, revision, form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert re.search(r'data-role="old">四舍五入到元<', html)
    assert re.search(r'data-role="new"><strong>舍去角分（向下取整到元）</strong>', html)


def test_audit_changes_name_rules_in_chinese() -> None:
    entry = audit.AuditEntry(
        id=1,
        at=datetime(2026, 1, 1, tzinfo=UTC),
        actor="alice",
        action="publish",
        action_label="发布新版本",
        target="000000/base_rounding/2026-01",
        before={"family": "base_rounding", "values": {"rule": "half_up_yuan"}},
        after={"family": "base_rounding", "values": {"rule": "down_yuan"}, "trust": "low"},
        address=None,
    )
    assert _changes(entry)[0] == "取整规则：四舍五入到元 → 舍去角分（向下取整到元）"


def test_confirm_data_helper_is_unchanged(admin: FlaskClient) -> None:
    """The form's hidden fields still carry the proposal (the attributes' change touched only inputs)."""
    revision = open_form(admin)
    html = preview(admin, revision).get_data(as_text=True)
    assert set(confirm_data(html)) == {"payload", "based_on", "origin", "source"}


def test_readme_runs_flask_from_the_venv() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^`?(?:printf .*?\| )?([^\s`]*flask) --app", readme, re.M)
    assert commands and set(commands) == {".venv/bin/flask"}, commands
    assert not re.search(r"`flask --app", readme)
    assert "python3 run.py serve --port" in readme
