"""The orders batch's routes in the OpenAPI document (职业伤害保障费, issue 24): the template and the upload; the
job is polled and fetched at the roster's addresses (``GET /api/v1/outlets/jobs/<id>``)."""

from __future__ import annotations

from typing import Any

from service.answer.present import XLSX
from service.api.base import section


def document_orders(api: Any, rules: dict[str, Any], errors: dict[str, Any], job: dict[str, Any]) -> None:
    api.spec.path(
        rule=rules["outlets.orders_template"],
        operations={
            "get": {
                "summary": "平台订单模板（.xlsx）：每行一个月份、地区、行业及单量，用于测算职业伤害保障费",
                "tags": [section("outlets")],
                "responses": {"200": {"description": "模板", "content": {XLSX: {}}}},
            }
        },
    )
    api.spec.path(
        rule=rules["outlets.orders_batch"],
        operations={
            "post": {
                "summary": "上传平台订单，测算每行的职业伤害保障费（人社部发〔2025〕24号）及不能计算的原因",
                "description": (
                    "与快递员花名册同一套检查和后台任务：文件先做快速检查（格式、大小、行数），通过后在后台测算，"
                    "返回 202 和任务地址；完成后摘要中 读取行数 = 计费行数 + 未计费行数，"
                    "结果工作簿有“明细”“汇总”“依据”三张表。"
                ),
                "tags": [section("outlets")],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "encoding": {"file": {"contentType": XLSX}},
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {
                                    "file": {"type": "string", "format": "binary", "description": "订单 .xlsx"},
                                },
                            },
                        }
                    },
                },
                "responses": {
                    "202": {
                        "description": "已接收，后台测算：url 供轮询进度，完成后 result_url 下载结果",
                        "headers": {"Location": {"schema": {"type": "string"}, "description": "任务地址"}},
                        "content": {"application/json": {"schema": job}},
                    },
                    **{status: body for status, body in errors.items() if status != "404"},
                    "503": {
                        "description": (
                            "系统繁忙（等候的任务已达上限）或数据库暂时无法连接，未保存任何内容："
                            "请按 Retry-After 秒后重试"
                        ),
                        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}},
                    },
                },
            }
        },
    )
