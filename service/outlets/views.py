"""Routes: the template, the batch and its job (API and page), the page ``/outlets``.

An upload gets the cheap checks in the request (an unusable file is answered at once), then becomes a
background job (``jobs``): the API answers 202 with the job's address to poll, the page sends the browser
to the job's page, which shows a progress bar until the summary and the result are there. The API routes
live under /api/v1 and answer errors in the JSON shape of ``service.core.errors`` (a ``QuoteError`` with field
"file" or "region"); they are added to the OpenAPI document when the blueprint is registered.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, send_file, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound

from calc.quote import QuoteError
from service.answer.present import XLSX
from service.api.base import section
from service.core.db import snapshot
from service.core.errors import json_error
from service.outlets.jobs import Busy, jobs
from service.outlets.jobstore import DONE, FAILED, ORDERS, OutletJob, as_kind, view, with_decimals
from service.outlets.recent import recent, remember
from service.outlets.roster import Limits, RosterFileError, open_roster

# The engine (numpy, pandas) and the workbook writer are imported by the routes that use them, so
# that a process that never prices a roster (a CLI call, a worker serving the API) is spared them.
bp = Blueprint("outlets", __name__)
PAGE_ERRORS_SHOWN = 20
RESULT_NAME = "快递网点工伤保险测算结果.xlsx"
ORDERS_RESULT_NAME = "职业伤害保障费测算结果.xlsx"
REFRESH_SECONDS = 2  # the job page reloads itself this often while the job runs (without JavaScript)
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


def _submit_orders() -> str:
    """A platform's orders: the same checks on the bytes and the same queue as a roster (no region: each row
    names its own); the shared messages said of the orders file."""
    try:
        data = _upload()
        opened = open_roster(data, limits())
    except QuoteError as error:
        raise QuoteError("file", as_kind(ORDERS, error.message), error.code, error.status) from None
    except RosterFileError as error:
        raise QuoteError("file", as_kind(ORDERS, error.message), error.code, error.status) from None
    try:
        return jobs().submit(data, None, opened.filled_rows, ORDERS)
    except Busy as error:
        error.message = as_kind(ORDERS, error.message)
        raise


def _submit(data: bytes, region: str | None) -> str:
    """The cheap checks in the request (bytes, zip, sizes, rows counted on the XML, region), then a job."""
    from service.outlets.job import check_region  # the engine (numpy, pandas) only where a roster is priced

    region = check_region(snapshot(), region)
    try:
        opened = open_roster(data, limits())
    except RosterFileError as error:
        raise QuoteError("file", error.message, error.code, error.status) from None
    return jobs().submit(data, region, opened.filled_rows)


def _busy(error: Busy, page: bool = False) -> Response:
    if page:
        response = Response(render_template("error.html", status=503, message=error.message), 503)
    else:
        response = json_error(503, "busy", error.message, "file")
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def _job_or_404(job_id: str, files: bool = False) -> OutletJob:
    job = jobs().get(job_id, files) if TOKEN.fullmatch(job_id) else None
    if job is None:
        error = NotFound()
        keep = jobs().keep_label
        error.zh_message = f"找不到这项测算任务：结果已过期（保留{keep}）或地址有误，请重新上传花名册。"  # type: ignore[attr-defined]
        raise error
    return job


def _job_json(job: OutletJob) -> dict[str, Any]:
    data = view(job)
    data["url"] = url_for("outlets.job_api", job_id=job.id)
    data["page"] = url_for("outlets.job_page", job_id=job.id)
    if job.status == DONE:
        data["result_url"] = url_for("outlets.job_result", job_id=job.id)
    return data


@bp.get("/api/v1/outlets/template")
def template() -> Response:
    from service.outlets.report import write_template

    buffer = write_template(limits().max_rows)
    # send_file writes the Chinese name as RFC 5987 filename*=UTF-8''..., with an ASCII fallback: a raw
    # UTF-8 header value cannot be sent by a WSGI server (headers are latin-1)
    return send_file(io.BytesIO(buffer), mimetype=XLSX, as_attachment=True, download_name="快递网点花名册模板.xlsx")


@bp.post("/api/v1/outlets/batch")
def batch() -> Response | tuple[dict[str, Any], int, dict[str, str]]:
    """202 and the job's address; a file refused by the cheap checks is answered at once."""
    try:
        job_id = _submit(_upload(), request.form.get("region"))
    except Busy as error:
        return _busy(error)
    job = jobs().get(job_id)
    assert job is not None
    body = _job_json(job)
    return body, 202, {"Location": body["url"]}


@bp.get("/api/v1/outlets/jobs/<job_id>")
def job_api(job_id: str) -> dict[str, Any]:
    return _job_json(_job_or_404(job_id))


@bp.get("/api/v1/outlets/jobs/<job_id>/result.xlsx")
def job_result(job_id: str) -> Response:
    return _result(_job_or_404(job_id, files=True))


def _result(job: OutletJob) -> Response:
    if job.status != DONE or job.result is None:
        error = NotFound()
        error.zh_message = "结果尚未生成：请等测算完成后再下载。"  # type: ignore[attr-defined]
        raise error
    name = ORDERS_RESULT_NAME if job.kind == ORDERS else RESULT_NAME
    return send_file(io.BytesIO(job.result), mimetype=XLSX, as_attachment=True, download_name=name)


def _context(region: str | None = None) -> dict[str, Any]:
    """What every state of the page shows: the form (with the region chosen) and the browser's uploads."""
    from service.outlets.job import DEFAULT_REGION

    return {
        "regions": [r for code, r in sorted(snapshot().regions.items()) if code != "000000"],
        "region": region or "",
        "default": DEFAULT_REGION,
        "keep": jobs().keep_label,
        "recent": recent(),
    }


@bp.route("/outlets", methods=["GET", "POST"])
def page() -> str | Response | tuple[str, int]:
    context = _context(request.form.get("region"))
    return _upload_page("outlets.html", context, lambda: _submit(_upload(), context["region"]))


@bp.get("/outlets/jobs/<job_id>")
def job_page(job_id: str) -> str:
    """The job's page: a progress bar that refreshes itself while it runs, the summary and download when done."""
    job = _job_or_404(job_id)
    context = _context(job.region)  # the region the upload chose stays chosen for the next upload
    data = view(job)
    if job.kind == ORDERS:
        return _orders_job_page(job, data, context)
    if job.status == DONE and "summary" in data:
        summary = with_decimals(data["summary"])
        summary["errors"] = summary["errors"][:PAGE_ERRORS_SHOWN]
        summary["errors_shown"] = len(summary["errors"])
        return render_template("outlets.html", summary=summary, token=job.id, job=data, **context)
    if job.status == FAILED:
        return render_template("outlets.html", error=job.error_message, job=data, **context)
    return render_template("outlets.html", job=data, refresh=REFRESH_SECONDS, **context)


@bp.get("/api/v1/outlets/orders/template")
def orders_template() -> Response:
    from service.outlets.orders_report import write_orders_template

    buffer = write_orders_template()
    return send_file(io.BytesIO(buffer), mimetype=XLSX, as_attachment=True, download_name="平台订单模板.xlsx")


@bp.post("/api/v1/outlets/orders/batch")
def orders_batch() -> Response | tuple[dict[str, Any], int, dict[str, str]]:
    """202 and the job's address, as for a roster; its summary counts rows read = priced + refused."""
    try:
        job_id = _submit_orders()
    except Busy as error:
        return _busy(error)
    job = jobs().get(job_id)
    assert job is not None
    body = _job_json(job)
    return body, 202, {"Location": body["url"]}


@bp.route("/outlets/orders", methods=["GET", "POST"])
def orders_page() -> str | Response | tuple[str, int]:
    """职业伤害保障费: a platform's orders uploaded from the page, on the roster's job and its pages."""
    return _upload_page("orders.html", _context(), _submit_orders)


def _upload_page(template: str, context: dict[str, Any], submit: Callable[[], str]) -> str | Response | tuple[str, int]:
    """An upload form: shown on GET; on POST the file queued as a job (``submit``), and the browser sent to its page
    and remembered among its uploads, or the form again with why the file was refused."""
    if request.method == "GET":
        return render_template(template, **context)
    try:
        job_id = submit()
    except QuoteError as error:
        return render_template(template, error=error.message, **context), error.status
    except Busy as error:
        return _busy(error, page=True)
    response = redirect(url_for("outlets.job_page", job_id=job_id), 303)
    remember(response, job_id, request.files["file"].filename or "")
    return response


def _orders_job_page(job: OutletJob, data: dict[str, Any], context: dict[str, Any]) -> str:
    if job.status == DONE and "summary" in data:
        summary = data["summary"]
        summary["errors"] = summary["errors"][:PAGE_ERRORS_SHOWN]
        summary["errors_shown"] = len(summary["errors"])
        return render_template("orders.html", summary=summary, token=job.id, job=data, **context)
    if job.status == FAILED:
        return render_template("orders.html", error=data["error"]["message"], job=data, **context)
    return render_template("orders.html", job=data, refresh=REFRESH_SECONDS, **context)


@bp.get("/outlets/results/<token>.xlsx")
def result(token: str) -> Response:
    return _result(_job_or_404(token, files=True))


_FILE_ERRORS = {"$ref": "#/components/schemas/ApiError"}
_JOB = {
    "type": "object",
    "required": ["id", "status", "status_label", "rows_total", "rows_read", "rows_priced", "url"],
    "properties": {
        "id": {"type": "string"},
        "kind": {
            "type": "string",
            "enum": ["roster", "orders"],
            "description": "roster：快递员花名册；orders：平台订单",
        },
        "status": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
        "status_label": {"type": "string"},
        "rows_total": {
            "type": "integer",
            "description": (
                "要读取的行数：排队时为上传时按文件统计的有内容的行数（含标题行、表头）；读取时为表头以下的行数；"
                "完成后等于摘要的“读取 N 行”（summary.rows，不含空行）"
            ),
        },
        "rows_read": {"type": "integer", "description": "已读取的行数；完成后等于 rows_total"},
        "rows_priced": {
            "type": "integer",
            "description": "计费的行数：测算完成后等于摘要的“计费 N 行”（summary.accepted）",
        },
        "url": {"type": "string"},
        "page": {"type": "string"},
        "result_url": {"type": "string", "description": "完成后：结果工作簿"},
        "summary": {"type": "object", "description": "完成后：计数、各网点合计、错误（前1000处）"},
        "error": {"type": "object", "description": "失败时：原因（与接口错误同一形式）"},
    },
}


def _document(state: BlueprintSetupState) -> None:
    """Add the routes to the OpenAPI document of ``service.api.views`` (when that API is present)."""
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
                "tags": [section("outlets")],
                "responses": {"200": {"description": "模板", "content": {XLSX: {}}}},
            }
        },
    )
    api.spec.path(
        rule=rules["outlets.batch"],
        operations={
            "post": {
                "summary": "上传快递员花名册，测算每人工伤保险费、各网点合计及错误行",
                "description": "文件先做快速检查（格式、大小、行数），通过后在后台测算：返回 202 和任务地址。",
                "tags": [section("outlets")],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "encoding": {"file": {"contentType": XLSX}},  # its content is checked: 400/415
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
                            },
                        }
                    },
                },
                "responses": {
                    "202": {
                        "description": "已接收，后台测算：url 供轮询进度，完成后 result_url 下载结果",
                        "headers": {"Location": {"schema": {"type": "string"}, "description": "任务地址"}},
                        "content": {"application/json": {"schema": _JOB}},
                    },
                    **errors,
                    "503": {
                        "description": (
                            "系统繁忙（等候的任务已达上限）或数据库暂时无法连接，未保存任何内容："
                            "请按 Retry-After 秒后重试"
                        ),
                        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                        "content": {"application/json": {"schema": _FILE_ERRORS}},
                    },
                },
            }
        },
    )
    job_id = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
    not_found = {"description": "任务不存在或已过期", "content": {"application/json": {"schema": _FILE_ERRORS}}}
    api.spec.path(
        rule=rules["outlets.job_api"],
        operations={
            "get": {
                "summary": "批量测算任务的进度（已读取、已测算行数）与结果（摘要、下载地址）或失败原因",
                "tags": [section("outlets")],
                "parameters": [job_id],
                "responses": {
                    "200": {"description": "任务", "content": {"application/json": {"schema": _JOB}}},
                    "404": not_found,
                },
            }
        },
    )
    api.spec.path(
        rule=rules["outlets.job_result"],
        operations={
            "get": {
                "summary": "批量测算任务的结果工作簿（明细、汇总、错误、参数四张表）",
                "tags": [section("outlets")],
                "parameters": [job_id],
                "responses": {"200": {"description": "结果工作簿", "content": {XLSX: {}}}, "404": not_found},
            }
        },
    )

    from service.outlets.order_docs import document_orders

    document_orders(api, rules, errors, _JOB)


bp.record_once(_document)
