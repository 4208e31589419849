"""Routes: the template, the batch (workbook or JSON summary) and the page ``/outlets``.

The two API routes live under /api/v1 and answer errors in the JSON shape of ``service.errors``
(a ``QuoteError`` with field "file" or "region"); they are added to the OpenAPI document when the
blueprint is registered.
"""

from __future__ import annotations

import contextlib
import io
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file
from flask.blueprints import BlueprintSetupState
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound

from calc.quote import QuoteError
from service.db import snapshot
from service.outlets.roster import Limits, RosterFileError
from service.present import XLSX

# The engine (numpy, pandas) and the workbook writer are imported by the routes that use them, so
# that a process that never prices a roster (a CLI call, a worker serving the API) is spared them.
if TYPE_CHECKING:
    from service.outlets.job import Outcome

bp = Blueprint("outlets", __name__)
JSON_ERRORS_SHOWN = 1000
PAGE_ERRORS_SHOWN = 20
RESULT_NAME = "快递网点工伤保险测算结果.xlsx"
RESULT_KEEP_SECONDS = 3600
TOKEN = re.compile(r"[A-Za-z0-9_-]{24}")


def limits() -> Limits:
    return Limits.from_config(current_app.config)


def _upload() -> bytes:
    file: FileStorage | None = request.files.get("file")
    if file is None or not file.filename:
        raise QuoteError("file", "请选择要上传的花名册文件（.xlsx，表单字段 file）。", "required", 400)
    cap = limits().max_bytes
    data = file.stream.read(cap + 1)
    if len(data) > cap:
        raise QuoteError(
            "file", f"文件超过上限 {cap / 1048576:.0f} MB：请拆分成几个文件分别上传。", "file_too_large", 413
        )
    return data


def _run(data: bytes, region: str | None) -> Outcome:
    from service.outlets.job import run

    try:
        return run(data, snapshot(), limits(), region or None)
    except RosterFileError as error:
        raise QuoteError("file", error.message, error.code, error.status) from None


def _result_file(outcome: Outcome) -> Response:
    """The workbook goes through a temporary file, not memory (send_file closes it)."""
    from service.outlets.report import write_result

    handle = tempfile.TemporaryFile()  # noqa: SIM115
    write_result(outcome, handle)
    handle.seek(0)
    return send_file(handle, mimetype=XLSX, as_attachment=True, download_name=RESULT_NAME)


def _results_dir() -> Path:
    directory = Path(current_app.instance_path) / "outlet_results"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _keep_result(outcome: Outcome) -> str:
    """Keep the page's result for a while so that it can be downloaded without uploading again."""
    from service.outlets.report import write_result

    directory = _results_dir()
    cutoff = time.time() - RESULT_KEEP_SECONDS
    for old in directory.glob("*.xlsx"):
        with contextlib.suppress(OSError):  # another worker may have removed it already
            if old.stat().st_mtime < cutoff:
                old.unlink()
    token = secrets.token_urlsafe(18)
    partial = directory / f"{token}.part"
    write_result(outcome, str(partial))
    partial.replace(directory / f"{token}.xlsx")  # never a half-written file under the served name
    return token


@bp.get("/api/v1/outlets/template")
def template() -> Response:
    from service.outlets.report import write_template

    buffer = write_template(limits().max_rows)
    # send_file writes the Chinese name as RFC 5987 filename*=UTF-8''..., with an ASCII fallback: a raw
    # UTF-8 header value cannot be sent by a WSGI server (headers are latin-1)
    return send_file(io.BytesIO(buffer), mimetype=XLSX, as_attachment=True, download_name="快递网点花名册模板.xlsx")


@bp.post("/api/v1/outlets/batch")
def batch() -> Response | dict[str, Any]:
    outcome = _run(_upload(), request.form.get("region"))
    if request.args.get("format") == "json":
        return outcome.summary(JSON_ERRORS_SHOWN)
    return _result_file(outcome)


@bp.route("/outlets", methods=["GET", "POST"])
def page() -> str | Response | tuple[str, int]:
    from service.outlets.job import DEFAULT_REGION

    regions = [r for code, r in sorted(snapshot().regions.items()) if code != "000000"]
    context: dict[str, Any] = {
        "regions": regions,
        "region": request.form.get("region") or "",
        "default": DEFAULT_REGION,
    }
    if request.method == "GET":
        return render_template("outlets.html", **context)
    try:
        outcome = _run(_upload(), context["region"])
    except QuoteError as error:
        return render_template("outlets.html", error=error.message, **context), error.status
    summary = outcome.summary(PAGE_ERRORS_SHOWN)
    return render_template("outlets.html", summary=summary, token=_keep_result(outcome), **context)


@bp.get("/outlets/results/<token>.xlsx")
def result(token: str) -> Response:
    if not TOKEN.fullmatch(token):
        abort(404)
    path = _results_dir() / f"{token}.xlsx"
    if not path.is_file():
        error = NotFound()
        error.zh_message = "结果已过期或不存在（保留1小时），请重新上传花名册。"  # type: ignore[attr-defined]
        raise error
    return send_file(path, mimetype=XLSX, as_attachment=True, download_name=RESULT_NAME)


_FILE_ERRORS = {"$ref": "#/components/schemas/ApiError"}


def _document(state: BlueprintSetupState) -> None:
    """Add the two routes to the OpenAPI document of ``service.api`` (when that API is present)."""
    apis = state.app.extensions.get("flask-smorest", {}).get("apis", {})
    api = apis.get("", {}).get("ext_obj")
    if api is None:
        return
    errors = {
        str(status): {"description": text, "content": {"application/json": {"schema": _FILE_ERRORS}}}
        for status, text in (
            (400, "文件损坏、加密或未选择文件"),
            (404, "未知地区"),
            (413, "文件、解压后数据或行数超过上限"),
            (415, "不是 .xlsx 文件"),
            (422, "找不到表头"),
        )
    }
    rules = {rule.endpoint: rule for rule in state.app.url_map.iter_rules() if rule.endpoint.startswith("outlets.")}
    api.spec.path(
        rule=rules["outlets.template"],
        operations={
            "get": {
                "summary": "快递网点花名册模板（.xlsx）",
                "tags": ["outlets"],
                "responses": {"200": {"description": "模板", "content": {XLSX: {}}}},
            }
        },
    )
    api.spec.path(
        rule=rules["outlets.batch"],
        operations={
            "post": {
                "summary": "上传快递员花名册，测算每人工伤保险费、各网点合计及错误行",
                "description": "默认返回结果工作簿（明细、汇总、错误、参数四张表）；?format=json 返回摘要。",
                "tags": ["outlets"],
                "parameters": [
                    {"name": "format", "in": "query", "required": False, "schema": {"type": "string", "enum": ["json"]}}
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {
                                    "file": {"type": "string", "format": "binary", "description": "花名册 .xlsx"},
                                    "region": {
                                        "type": "string",
                                        "example": "360100",
                                        "description": "地区代码；不填时按统一社会信用代码中的地区，再不行按 360100",
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "结果工作簿，或 JSON 摘要（计数、各网点合计、错误）",
                        "content": {XLSX: {}, "application/json": {"schema": {"type": "object"}}},
                    },
                    **errors,
                },
            }
        },
    )


bp.record_once(_document)
