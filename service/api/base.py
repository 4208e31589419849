"""What every JSON blueprint builds on: the exact, strict JSON body parser, the one error shape's
documentation and the current month.

A module of its own so that the public API (``service.api.views``), the pension estimate (``service.pension.views``)
and the administration's API (``service.admin.api``) build on it without importing each other; the app
factory registers their blueprints.

A body is refused (400, in Chinese) when a key appears twice in one object (JSON parsers silently
keep the last one, so what was checked and what was meant could differ), or when any string or key
holds a lone UTF-16 surrogate (``"\\ud800"``: not a character, cannot be stored or answered) or a
control character such as NUL (PostgreSQL cannot store it in text).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_smorest import Blueprint, abort
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from rates.months import Month
from service.answer.present import CHINA
from service.api.contract import ERROR_DESCRIPTIONS
from service.api.schemas import ApiErrorSchema

SURROGATE = re.compile("[\ud800-\udfff]")
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, line feed and carriage return are text
SURROGATE_MESSAGE = "含有无效字符（单独的 UTF-16 代理项，不是一个完整的字符），请删除后重试。"
CONTROL_MESSAGE = "不能包含控制字符（如 NUL），请删除后重试。"


def current_month() -> Month:
    now = datetime.now(CHINA)
    return Month(now.year, now.month)


def text_problem(text: str) -> str | None:
    """Why a piece of text cannot be taken (a lone surrogate, a control character), or None."""
    if SURROGATE.search(text):
        return SURROGATE_MESSAGE
    if CONTROL.search(text):
        return CONTROL_MESSAGE
    return None


class BodyRefused(ValueError):
    def __init__(self, field: str, message: str, in_key: bool = False):
        super().__init__(message)
        self.field, self.message = field, message
        self.in_key = in_key  # unstorable text in a key (a control character, a lone surrogate)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        problem = text_problem(key)
        if problem:
            raise BodyRefused("_schema", f"字段名{problem}", in_key=True)
        if key in seen:
            message = f"字段“{key[:40]}”重复出现：同一对象中每个字段只能出现一次，请删除多余的一项。"
            raise BodyRefused(key, message)
        seen[key] = value
    return seen


def _check_strings(document: Any) -> None:
    """Every string of the document, however deep (without recursion: depth is the parser's to bound)."""
    stack: list[tuple[str, Any]] = [("_schema", document)]
    while stack:
        field, value = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                raise BodyRefused(field, problem)
        elif isinstance(value, dict):
            stack.extend((key if field == "_schema" else field, item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((field, item) for item in value)


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        return _pairs(pairs)  # says which key is repeated
    return document


# made once: json.loads with a hook builds a new decoder on every call
_UNIQUE = json.JSONDecoder(parse_float=Decimal, object_pairs_hook=_unique)
_CHECKED = json.JSONDecoder(parse_float=Decimal, object_pairs_hook=_pairs)


def load_json(data: bytes) -> Any:
    """The body as JSON: numbers as Decimal, duplicate keys and unstorable text refused."""
    text = data.decode("utf-8")
    if "\\" not in text and "\x7f" not in text:
        # JSON refuses raw control characters in strings, and UTF-8 cannot hold a lone surrogate: without
        # an escape (or a DEL), no string of this document can hold either
        return _UNIQUE.decode(text)
    document = _CHECKED.decode(text)
    _check_strings(document)
    return document


class ExactParser(FlaskParser):
    """Reads JSON numbers as Decimal, so that 0.6 never becomes 0.59999999999999997."""

    DEFAULT_VALIDATION_STATUS = 400
    KEY_TEXT_STATUS = 400  # a key that cannot be stored: with fixed properties, the document refuses it too

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            if req.get_data(cache=True):
                abort(415)
            return core.missing
        try:
            return load_json(req.get_data(cache=True))
        except BodyRefused as refused:
            status = self.KEY_TEXT_STATUS if refused.in_key else 400
            abort(status, messages={"json": {refused.field: [refused.message]}})
        except (ValueError, RecursionError, UnicodeDecodeError):
            abort(400, messages={"json": ["Invalid JSON body."]})


class FreeFormParser(ExactParser):
    """For a body whose objects the document leaves open (the admin API's versions: any field of any
    family): OpenAPI 3.0 has no ``propertyNames``, so it cannot call a key with a control character
    invalid; such a key is a documented 422 (the request matches the document but cannot be stored),
    not a 400. (Unstorable text in a value stays a 400, as on every route.)"""

    KEY_TEXT_STATUS = 422


# The API's sections on its docs page, in this order: the tag names, in Chinese, since Swagger UI (the
# docs page here) shows a tag's name as the section heading and ignores ``x-displayName`` (Redoc's).
# A blueprint keeps its English name for its endpoints (url_for); only the document uses these.
SECTIONS: dict[str, tuple[str, str]] = {
    "api": ("社保缴费测算", "地区、参数及其来源、按月缴费测算、缴费档次表、职业伤害保障及平台缴费"),
    "pension": ("养老金估算", "基本养老金估算（按本人参保情况）"),
    "outlets": (
        "快递网点批量测算",
        "上传快递员花名册，后台测算每人工伤保险费及各网点合计；上传平台订单，后台测算职业伤害保障费",
    ),
    "admin_api": ("参数管理", "发布、更正、撤回参数，提升可信度（附原文摘录，另一位管理员核准）（须以管理员身份登录）"),
}


def section(blueprint: str) -> str:
    """The Chinese section (tag) of a blueprint's routes in the document."""
    return SECTIONS[blueprint][0]


def section_tags() -> list[dict[str, str]]:
    """The document's list of tags: every section, named and described in Chinese."""
    return [{"name": name, "description": description} for name, description in SECTIONS.values()]


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = ExactParser()

    def add_url_rule(
        self, rule: str, endpoint: str | None = None, *args: Any, tags: Any = None, **options: Any
    ) -> None:
        """Each route tagged with the blueprint's Chinese section, not with its name (``api``), which stays
        the endpoints' prefix."""
        super().add_url_rule(rule, endpoint, *args, tags=[section(self.name)] if tags is None else tags, **options)


class FreeFormBlueprint(ApiBlueprint):
    ARGUMENTS_PARSER = FreeFormParser()


def document_errors(on: Blueprint, *statuses: int):  # type: ignore[no-untyped-def]
    """Document the one error shape for these statuses on the blueprint ``on``.

    flask-smorest's ``alt_response`` documents a status by wrapping the view in a function that only calls it,
    and keeps the document in the wrapper's ``_apidoc``: the view takes that document and stays unwrapped (four
    statuses were four calls through ``current_app`` on every request, for nothing but the document)."""

    def decorate(function):  # type: ignore[no-untyped-def]
        documented = function
        for status in statuses:
            description = ERROR_DESCRIPTIONS.get(status, "错误（中文说明）")
            documented = on.alt_response(status, schema=ApiErrorSchema, description=description)(documented)
        function._apidoc = documented._apidoc
        return function

    return decorate
