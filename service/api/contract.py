"""What the OpenAPI document says beyond single fields, and the line between 400 and 422.

400: the request does not match the document (a field's form, range or pattern, an unknown field,
``base`` and ``base_ratio`` together). 422: it matches, but the rules or the figures say no: the
figures of that region and month are not configured, a base or ratio outside that year's floor and
ceiling, an end month before the start, more than 120 months. ``tests/test_schemathesis.py`` holds
the server to this: a request the document calls valid is never answered 400.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from apispec import APISpec

from calc.quote import QuoteError

F = TypeVar("F", bound=Callable[..., Any])

# the engine's refusals of a well-formed request: they depend on the figures or on several fields
CONTENT_CODES = frozenset({"invalid_range", "range_too_long", "out_of_range", "required", "conflict"})

ERROR_DESCRIPTIONS = {
    400: "请求不符合本文档（字段格式、取值范围、未知字段，或同时填写了 base 和 base_ratio），message 说明哪一项",
    404: "未知地区（unknown_region）",
    415: "请求体须为 JSON（Content-Type: application/json）",
    422: (
        "格式正确但无法测算，message 说明原因：该地区该月未配置参数（not_configured）；缴费基数或档次超出"
        "当年上下限（out_of_range）；未填写缴费档次或基数（required）；终止月份早于起始月份（invalid_range）；"
        "超过120个月（range_too_long）；该地区的医保规则不取所填的档次或基数（not_applicable）；"
        "该地区该月的医保按申报基数缴费且未公布上下限，无档次可比（no_tiers）"
    ),
}


def content_refusals(view: F) -> F:
    """The engine's refusals of a request that matches the document answer 422, not 400."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except QuoteError as error:
            if error.status == 400 and error.code in CONTENT_CODES:
                error.status = 422
            raise

    return wrapped  # type: ignore[return-value]


def engine_refusals(view: F) -> F:
    """For a route whose whole request the schema checks first (the pension estimate and benefit), every
    refusal the engine adds depends on several fields or on the figures: 422, not 400."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except QuoteError as error:
            if error.status == 400:
                error.status = 422
            raise

    return wrapped  # type: ignore[return-value]


SESSION_SCHEME = "session"  # the name the admin routes' ``security`` refers to
SESSION_SECURITY = [{SESSION_SCHEME: []}]


def declare_session(spec: APISpec, cookie_name: str) -> None:
    """The admin API's authentication, so that clients and fuzzers know to log in: the session cookie the
    login page (``POST /login``) sets. Routes that need it carry ``SESSION_SECURITY``."""
    spec.components.security_scheme(
        SESSION_SCHEME,
        {
            "type": "apiKey",
            "in": "cookie",
            "name": cookie_name,
            "description": (
                "登录页（POST /login，表单字段 username、password）设置的会话 Cookie；发布参数须为管理员账号"
            ),
        },
    )


def tighten(spec: APISpec) -> None:
    """Rules across fields, which marshmallow's fields cannot put into the document themselves."""
    schemas = spec.components.schemas
    calculate = schemas.get("CalculateRequest")
    if calculate is not None:
        # both given (neither null): refused, 缴费档次和缴费基数只能填写一项
        calculate["not"] = {
            "required": ["base", "base_ratio"],
            "properties": {"base": {"type": "string"}, "base_ratio": {"type": "string"}},
        }
        calculate["description"] = "base_ratio（缴费档次）与 base（缴费基数）至多填写一项；都不填时按该险种的规则。"
