"""How every page writes what it shows: Beijing time, ratios as percentages, choices in words, 大字 mode.

One filter or global per kind of value, registered for every template, so that the 参数 page, the
administration pages and the results all write a time, a ratio or a rule the same way.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, current_app, redirect, request, url_for
from markupsafe import Markup

from rates.families import CHOICE_LABELS, FAMILIES, Kind
from service.answer.present import CHINA, SERVICE_RULE_LABEL, is_service_rule, percent, trust_text
from service.core.auth import _safe_next
from service.core.errors import FIELD_LABELS
from service.core.public_text import public_note, public_origin, public_source

bp = Blueprint("display", __name__)

TEXT_SIZE_COOKIE = "text_size"
LARGE = "large"
ONE_YEAR = 365 * 24 * 3600


def beijing_time(moment: datetime) -> str:
    """A moment as users read it: in 北京时间 (a moment without a zone is UTC, as the store keeps it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


@bp.app_template_filter("beijing")
def beijing(moment: str | datetime | None) -> str:
    """A moment (an ISO text or a datetime) in 北京时间, saying so."""
    if moment is None or moment == "":
        return "—"
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    return beijing_time(moment) + "（北京时间）"


# ---------------------------------------------------------------- form fields and badges
# Python, not Jinja macros: every field of every form calls them, and a macro costs several times as much.


@bp.app_template_global("error_for")
def error_for(name: str, errors: Mapping[str, str]) -> Markup:
    """The engine's message next to the field it is about (its id ties it to the field: described)."""
    message = errors.get(name)
    return Markup('<p class="field-error" id="e-{}">{}</p>').format(name, message) if message else Markup("")


@bp.app_template_global("summary_text")
def summary_text(name: str, message: str) -> str:
    """A message as the list of what to fix says it: named by its field where the message alone would not say
    which (“退休年龄（月）：必须填写。”, not “必须填写。” five times over)."""
    label = FIELD_LABELS.get(name)
    if name == "_schema" or label is None or message.startswith(label):
        return message
    return f"{label}：{message}"


@bp.app_template_global("described")
def described(name: str, errors: Mapping[str, str], hint: bool = False) -> Markup:
    """A field's attributes naming its hint and its error message, and saying it is invalid."""
    if not errors.get(name):
        return _hint_only(name, hint)
    ids = [f"h-{name}"] * bool(hint) + [f"e-{name}"]
    return Markup('aria-describedby="{}" aria-invalid="true"').format(" ".join(ids))


@functools.lru_cache(maxsize=256)
def _hint_only(name: str, hint: bool) -> Markup:
    """What ``described`` gives a field without a message (most fields, most of the time)."""
    return Markup('aria-describedby="h-{}"').format(name) if hint else Markup("")


@bp.app_template_global("trust_badge")
def trust_badge(trust: str, label: str) -> Markup:
    # markupsafe's % escapes each value as .format does, without string.Formatter's walk in Python: the badges are
    # drawn for every version every answer cites
    return Markup('<span class="trust trust-%s">%s</span>') % (trust, label)


@bp.app_template_global("version_badge")
def version_badge(version: Mapping[str, Any]) -> Markup:
    """A version's trust as a badge: the service's own rule named as such (``trust_text``), on every page alike."""
    if is_service_rule(dict(version)):
        return Markup('<span class="badge rule">%s</span>') % SERVICE_RULE_LABEL
    return trust_badge(str(version["trust"]), trust_text(dict(version)))


bp.add_app_template_global(trust_text, "trust_text")


@bp.app_template_global("provisional_badge")
def provisional_badge(label: str) -> Markup:
    return Markup('<span class="badge provisional">%s</span>') % label


@bp.app_template_filter("yuan")
def yuan(amount: Decimal | str) -> str:
    """An amount in 元 as the result pages write a total: thousands separated, two decimals, exact (never a float)."""
    return format(Decimal(str(amount)), ",.2f")


@bp.app_template_global("used_for")
def used_for(spans: Mapping[int, str] | None, version_id: int) -> Markup:
    """ "；用于 2025-01 至 2025-12": the months (or years) a version priced in an answer, where the page says them."""
    text = spans.get(version_id) if spans else None
    return Markup("；用于 %s") % text if text else Markup("")


@bp.app_template_global("asset")
def asset(filename: str) -> str:
    """The address of a file of static/ (``url_for('static', ...)`` made once per app and mount point)."""
    return _address(current_app.name, current_app.static_url_path, request.script_root, "static", filename)


@bp.app_template_global("page_url")
def page_url(endpoint: str) -> str:
    """The address of a page without arguments (``url_for(endpoint)``, made once per app and mount point)."""
    return _address(current_app.name, current_app.static_url_path, request.script_root, endpoint, None)


@functools.lru_cache(maxsize=256)
def _address(app: str, static_path: str | None, root: str, endpoint: str, filename: str | None) -> str:
    # every page asks for the same few addresses: building each is a tenth of a small page's time (issue 20)
    return url_for(endpoint, filename=filename) if filename is not None else url_for(endpoint)


@bp.app_template_global("macros")
def macros(name: str) -> Any:
    """The macros of template ``name`` (``{% set m = macros(name) %}``): what ``{% import %}`` gives without
    context, without Jinja's check, on every render, of the importing template's globals against the
    imported one's (a set difference over every global, about 16 µs an import: issue 20)."""
    return current_app.jinja_env.get_template(name).module


@bp.app_template_global("choice_label")
def choice_label(value: str) -> str:
    return CHOICE_LABELS.get(value, value)


@bp.app_template_global("shown_value")
def shown_value(family: str, name: str, value: Any) -> str:
    """A parameter value as users read it: a ratio as a percentage, a rule by its Chinese name, money in 元."""
    spec = FAMILIES[family].field(name) if family in FAMILIES else None
    text = str(value)
    if spec is None:
        return text
    if spec.kind is Kind.CHOICE:
        return choice_label(text)
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if spec.kind is Kind.RATIO:
        return percent(number)
    if spec.kind is Kind.MONEY:
        return f"{text} 元"
    return text  # a whole number (an age, a count of months) or a table


# Who recorded a version and where it came from, as the store keeps them (English, in code) and as
# users read them.
RECORDED_BY = {"bundled files": "内置参数文件"}
ORIGINS = {"admin form": "管理页表单", "admin withdrawal": "管理页撤回"}
ORIGIN_PREFIXES = (("upload ", "上传文件 "), ("rates/params/", "参数文件 rates/params/"))


@bp.app_template_filter("recorded_by")
def recorded_by_label(recorded_by: str | None) -> str:
    return RECORDED_BY.get(recorded_by or "", recorded_by or "—")


@bp.app_template_filter("origin")
def origin_label(origin: str | None) -> str:
    if not origin:
        return "—"
    if origin in ORIGINS:
        return ORIGINS[origin]
    for prefix, label in ORIGIN_PREFIXES:
        if origin.startswith(prefix):
            return label + origin[len(prefix) :]
    return origin


bp.add_app_template_filter(public_source, "public_source")
bp.add_app_template_filter(public_origin, "public_origin")
bp.add_app_template_filter(public_note, "public_note")


@bp.app_template_global("ordered_values")
def ordered_values(version: dict[str, Any]) -> list[tuple[str, Any]]:
    """A version's values in the order of its family's fields (as the admin form asks for them)."""
    family = FAMILIES.get(version["family"])
    values = version["values"]
    order = [spec.name for spec in family.fields] if family else []
    return [(name, values[name]) for name in order if name in values] + [
        (name, value) for name, value in values.items() if name not in order
    ]


bp.add_app_template_global(is_service_rule, "service_rule")
bp.add_app_template_global(SERVICE_RULE_LABEL, "service_rule_label")


@bp.app_context_processor
def text_size() -> dict[str, Any]:
    large = request.cookies.get(TEXT_SIZE_COOKIE) == LARGE
    # the link that switches the mode works without script: it sets the cookie and comes back here
    back = request.full_path.rstrip("?") if request.query_string else request.path
    return {"large_text": large, "text_size_back": back}


def local_path(target: str | None) -> str:
    """Only a path on this site (never another host): where to come back to after switching."""
    # the login's own check of a "next" address, so that both refuse the same addresses
    return target if target and _safe_next(target) == target else "/"


@bp.get("/text-size")
def switch_text_size() -> Response:
    """大字 on or off for every page, kept in a cookie for a year; back to the page the link was on."""
    size = request.args.get("size", "")
    response = redirect(local_path(request.args.get("next")), 303)
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))  # as the login's cookie
    if size == LARGE:
        response.set_cookie(TEXT_SIZE_COOKIE, LARGE, max_age=ONE_YEAR, samesite="Lax", httponly=True, secure=secure)
    else:
        response.delete_cookie(TEXT_SIZE_COOKIE, samesite="Lax", httponly=True, secure=secure)
    return response
