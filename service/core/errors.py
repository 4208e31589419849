"""One JSON error shape for every error of the API, with messages in Chinese that name the field.

{"error": {"status": 400, "code": "invalid", "field": "base_ratio",
           "message": "缴费档次须在60%至300%之间，请修改缴费档次。",
           "fields": {"base_ratio": ["..."]}}}
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from calc.quote import QuoteError

log = logging.getLogger(__name__)

FIELD_LABELS = {
    "region": "地区",
    "scheme": "险种",
    "start": "起始月份",
    "end": "终止月份",
    "month": "月份",
    "base_ratio": "缴费档次",
    "base": "缴费基数",
    "headcount": "参保人数",
    "factor": "浮动费率",
    "medical_tier": "医保缴费档次",
    "industry": "行业",
    "orders": "单量",
    "per_order": "缴费基准额",
    "file": "文件",
    "versions": "参数版本",
    "based_on": "所依据的版本",
    "version_id": "参数版本号",
    "excerpt": "原文摘录",
    "url": "原文网址",
    "note": "说明",
    "reason": "理由",
    "reference_index": "依据文件",
    "status": "申请状态",
    "_schema": "请求体",
}

# marshmallow / webargs messages, in Chinese
_MESSAGES = {
    "Missing data for required field.": "必须填写。",
    "Unknown field.": "不是可识别的字段，请删除。",
    "Field may not be null.": "不能为空。",
    "Not a valid string.": "须为文本。",
    "Not a valid integer.": "须为整数。",
    "Not a valid number.": "须为数字。",
    "Not a valid decimal.": "须为数字。",
    "Invalid input type.": "格式不对：请求体须为 JSON 对象。",
    "Invalid JSON body.": "不是有效的 JSON，请检查格式。",
    "Special numeric values (nan or infinity) are not permitted.": "须为有限的数字。",
}

STATUS_MESSAGES = {
    400: "请求有误，请检查后重试。",
    401: "请先登录。",
    403: "没有权限进行此操作。",
    404: "找不到请求的地址或资源。",
    405: "不支持此请求方法。",
    413: "上传内容过大，请拆分后再试。",
    415: "不支持的内容类型，请以 JSON 提交。",
    422: "请求无法处理，请检查填写的内容。",
    429: "请求过于频繁，请稍后再试。",
    500: "服务器内部错误，已记录，请稍后再试或联系管理员。",
}


# marshmallow's validators put their limits into the message
_PATTERNS = (
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), r"长度须在\1至\2之间。"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), r"不能超过\1个字符。"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), r"至少\1个字符。"),
    (re.compile(r"^Must be greater than or equal to (.+) and less than or equal to (.+)\.$"), r"须在\1至\2之间。"),
    (re.compile(r"^Must be greater than or equal to (.+)\.$"), r"须不小于\1。"),
    (re.compile(r"^Must be less than or equal to (.+)\.$"), r"须不大于\1。"),
    (re.compile(r"^Not a valid (list|mapping type)\.$"), "格式不对，请按接口文档填写。"),
)


def translate(message: str) -> str:
    if message in _MESSAGES:
        return _MESSAGES[message]
    for pattern, chinese in _PATTERNS:
        if pattern.match(message):
            return pattern.sub(chinese, message)
    return message


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs nests messages by location and field; flatten to {"field": [Chinese messages]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key in ("json", "query", "form", "files", "path", "view_args") and not prefix:
                for name, texts in _flatten(value).items():
                    flat.setdefault(name, []).extend(texts)
                continue
            name = f"{prefix}.{key}" if prefix else str(key)
            for sub, texts in _flatten(value, name).items():
                flat.setdefault(sub, []).extend(texts)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = [translate(m) for m in messages]
    elif isinstance(messages, list):
        for i, item in enumerate(messages):
            for sub, texts in _flatten(item, f"{prefix}[{i}]").items():
                flat.setdefault(sub, []).extend(texts)
    elif isinstance(messages, str):
        flat[prefix or "_schema"] = [translate(messages)]
    return flat


def label(field: str) -> str:
    head = field.split(".")[0].split("[")[0]
    return FIELD_LABELS.get(head, head)


_UNSENDABLE = re.compile("[\ud800-\udfff]")


def sendable(text: str) -> str:
    """Text that can be encoded as UTF-8: a lone surrogate echoed from the input becomes U+FFFD."""
    return _UNSENDABLE.sub("\ufffd", text)


def error_body(
    status: int, code: str, message: str, field: str | None = None, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    message = sendable(message)
    field = None if field is None else sendable(field)
    fields = {sendable(k): [sendable(t) for t in v] for k, v in fields.items()} if fields else None
    return {
        "error": {
            "status": status,
            "code": code,
            "message": message,
            "field": field,
            "fields": fields or ({field: [message]} if field else {}),
        }
    }


def json_error(
    status: int, code: str, message: str, field: str | None = None, fields: dict[str, list[str]] | None = None
) -> Response:
    response = jsonify(error_body(status, code, message, field, fields))
    response.status_code = status
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def handle_http(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    fields = _flatten(data.get("messages")) if data.get("messages") else {}
    if fields:
        field = next(iter(fields))
        message = "；".join(
            texts[0] if name == "_schema" else f"{label(name)}（{name}）：{texts[0]}" for name, texts in fields.items()
        )
        code = "invalid"
    else:
        field = None
        message = getattr(error, "zh_message", None) or STATUS_MESSAGES.get(status, error.name)
        code = error.name.lower().replace(" ", "_")
    if status == 400 and fields:
        code = "invalid"
    if _wants_json():
        response = json_error(status, code, message, field, fields)
    else:
        page = render_template("error.html", status=status, message=sendable(message))
        response = Response(page, status, mimetype="text/html")
    # keep what the error itself says in headers (Allow on 405, Retry-After, WWW-Authenticate)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def handle_quote_error(error: QuoteError) -> Response | tuple[str, int]:
    if _wants_json():
        return json_error(error.status, error.code, error.message, error.field)
    return render_template("error.html", status=error.status, message=sendable(error.message)), error.status


UNAVAILABLE_RETRY = 30  # seconds: a restarting database is usually back within that
UNAVAILABLE_MESSAGE = "数据库暂时无法连接，本次请求未保存任何内容：请稍候30秒后重试；如一直如此，请联系管理员。"


def database_unavailable(error: BaseException) -> bool:
    """The database cannot be reached or is busy (a restart, a dropped connection, a lock held too long):
    an ``OperationalError``/``InterfaceError`` of SQLAlchemy, of peewee (huey's queue), or of the driver
    itself (SQLAlchemy's pool lets psycopg's own through when a reconnection fails). A transaction that
    failed so was rolled back, so nothing was written: the client may send it again."""
    return any(
        kind.__name__ in _UNAVAILABLE_NAMES and kind.__module__.split(".")[0] in _DATABASE_MODULES
        for kind in type(error).__mro__
    )


_UNAVAILABLE_NAMES = ("OperationalError", "InterfaceError")
_DATABASE_MODULES = ("sqlalchemy", "peewee", "psycopg", "psycopg2", "sqlite3")


def handle_unexpected(error: Exception) -> Response | tuple[str, int]:
    if database_unavailable(error):
        log.warning("database unavailable on %s %s: %s", request.method, request.path, error)
        unavailable = ServiceUnavailable(retry_after=UNAVAILABLE_RETRY)
        unavailable.zh_message = UNAVAILABLE_MESSAGE  # type: ignore[attr-defined]
        return handle_http(unavailable)
    log.exception("unexpected error on %s %s", request.method, request.path)
    return handle_http(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(QuoteError, handle_quote_error)
    app.register_error_handler(Exception, handle_unexpected)
