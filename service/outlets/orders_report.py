"""The orders batch's result workbook and its blank template (职业伤害保障费, issue 24), written with xlsxwriter.

明细 holds every row read, in the file's order: its fee, or 未计费 and the Chinese reason; 汇总 the counts (读取 =
计费 + 未计费), the totals by province and industry and the notes; 依据 the documents. Text a user typed is
written as text only (``write_string``), so ``=1+1`` stays text; money is a number with a two-decimal format.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import IO, Any

import xlsxwriter

from rates import protection
from rates.families import TRUST_LABELS
from service.outlets.orders import COLUMNS, ERRORS_SHOWN, Orders
from service.outlets.report import _formats, _header

DETAIL_HEADERS = (
    "原行号",
    "月份",
    "地区",
    "行业",
    "单量",
    "缴费基准额（元/单）",
    "浮动系数",
    "试点省份",
    "应缴金额",
    "结果",
    "说明",
)
DETAIL_WIDTHS = (10, 10, 14, 10, 12, 12, 10, 16, 16, 8, 60)


def write_orders_result(
    orders: Orders, target: str | IO[bytes], progress: Callable[[int, int], None] | None = None
) -> None:
    """Write 明细, 汇总 and 依据."""
    book = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False})
    formats = _formats(book)
    formats["per_order"] = book.add_format({"num_format": "0.00##"})
    _detail(book, orders, formats, progress)
    _summary(book, orders, formats)
    _documents(book, orders, formats)
    book.close()


def _detail(
    book: xlsxwriter.Workbook, orders: Orders, formats: dict[str, Any], progress: Callable[[int, int], None] | None
) -> None:
    sheet = book.add_worksheet("明细")
    _header(sheet, DETAIL_HEADERS, DETAIL_WIDTHS, formats["head"])
    text, number = sheet.write_string, sheet.write_number
    for line, row in enumerate(orders.rows, start=1):
        if progress is not None and line % 5000 == 0:
            progress(5000, len(orders.rows))
        if isinstance(row.place, int):
            number(line, 0, row.place)
        else:
            text(line, 0, row.place)
        answer = row.answer
        if answer is None:  # as typed, and why it has no fee
            for column, value in enumerate(
                (row.month, row.region, row.industry, row.orders, row.per_order, row.factor), 1
            ):
                text(line, column, value)
            text(line, 9, "未计费")
            text(line, 10, (f"{row.column}：" if row.column else "") + row.reason)
            continue
        text(line, 1, str(answer.month))
        text(line, 2, row.region)
        text(line, 3, answer.industry)
        number(line, 4, answer.orders)
        number(line, 5, float(answer.per_order), formats["per_order"])  # two decimals: exact as shown
        number(line, 6, float(answer.factor), formats["factor"])  # at most four decimals
        text(line, 7, answer.province_name)
        number(line, 8, float(answer.fee), formats["money"])  # to the fen
        text(line, 9, "已计费")
        text(line, 10, "；".join(answer.notes))
    if progress is not None and orders.rows:
        progress(len(orders.rows) % 5000 or 5000, len(orders.rows))


def _summary(book: xlsxwriter.Workbook, orders: Orders, formats: dict[str, Any]) -> None:
    sheet = book.add_worksheet("汇总")
    _header(sheet, ["试点省份", "行业", "行数", "单量", "应缴金额"], (18, 12, 10, 16, 18), formats["head"])
    summary = orders.summary(ERRORS_SHOWN)
    line = 1
    for group in summary["groups"]:
        sheet.write_string(line, 0, group["province_name"])
        sheet.write_string(line, 1, group["industry"])
        sheet.write_number(line, 2, group["rows"])
        sheet.write_number(line, 3, group["orders"])
        sheet.write_number(line, 4, float(group["fee"]), formats["money"])
        line += 1
    sheet.write_string(line, 0, "合计", formats["bold"])
    sheet.write_number(line, 2, summary["accepted"], formats["bold"])
    sheet.write_number(line, 3, summary["total"]["orders"], formats["bold"])
    sheet.write_number(line, 4, float(summary["total"]["fee"]), formats["money_bold"])
    line += 2
    facts = [
        ("读取行数", summary["rows"]),
        ("计费行数", summary["accepted"]),
        ("未计费行数", summary["rejected"]),
        ("空行（已跳过）", summary["blank_rows"]),
    ]
    for label, value in facts:
        sheet.write_string(line, 0, label)
        sheet.write_number(line, 2, value)
        line += 1
    sheet.write_string(
        line,
        0,
        f"读取 {summary['rows']} 行 = 计费 {summary['accepted']} 行 + 未计费 {summary['rejected']} 行"
        "（原因见“明细”表）",
    )
    line += 1
    for note in summary["notes"]:
        sheet.write_string(line, 0, note, formats["wrap"])
        line += 1


def _documents(book: xlsxwriter.Workbook, orders: Orders, formats: dict[str, Any]) -> None:
    sheet = book.add_worksheet("依据")
    _header(sheet, ["文号", "文件", "可信度", "网址"], (24, 70, 10, 60), formats["head"])
    for line, document in enumerate(orders.documents(), start=1):
        sheet.write_string(line, 0, document["doc_no"] or "")
        sheet.write_string(line, 1, document["title"])
        sheet.write_string(line, 2, TRUST_LABELS[document["trust"]])
        sheet.write_string(line, 3, document["url"] or "")


# ---------------------------------------------------------------- the template

TEMPLATE_HEADERS = tuple(COLUMNS.values())
TEMPLATE_WIDTHS = (12, 16, 12, 14, 14, 12, 30)


def instructions() -> tuple[tuple[str, str], ...]:
    """What each column takes, with the per-order amounts read from the data (never restated by hand)."""
    data = protection.bundled()
    latest = data.order_fees[-1]
    amounts = "；".join(f"{k}每单{'或'.join(format(v, 'f') for v in vs)}元" for k, vs in latest.amounts.items())
    cited = latest.document.doc_no or latest.document.title
    return (
        (
            "用途",
            "平台企业（或其合作企业）按月、按地区、按行业填写订单数，上传后得到每行应缴的职业伤害保障费及无法计算的原因。",
        ),
        ("月份", "必填，订单所属的年月，例如 2025-07、2025/7、2025年7月。"),
        ("地区", "必填，6位行政区划代码（如成都市510100）或省、市名称（如四川省）；按所在省份的试点计算。"),
        ("行业", f"必填：{'、'.join(data.national['industries'])}。{data.national['industries_note']}"),
        ("单量", "必填，该月在该地该行业的订单数（整数，没有订单填0）。"),
        ("缴费基准额", f"{'；'.join(latest.choose.values())}只有一档的行业可不填。缴费基准额：{amounts}（{cited}）。"),
        ("浮动系数", "选填，经办机构核定的浮动系数，不填按1计算；本服务未查到浮动档次，不作核实。"),
        ("备注", "选填，不参与计算（可写平台名称）。"),
        (
            "不计算的情况",
            "所在省份未开展试点或尚未开始的月份、2025年7月以前（首批试点的每单标准未查到）、非试点行业：列在结果“明细”表中并说明原因，不作估算。",
        ),
        ("合计行", "可以保留“合计”行，它不会计费。"),
    )


def write_orders_template() -> bytes:
    """The blank orders sheet: Chinese headers, month and text columns formatted, and its instructions."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    formats = _formats(book)
    sheet = book.add_worksheet("订单")
    _header(sheet, TEMPLATE_HEADERS, TEMPLATE_WIDTHS, formats["head"])
    sheet.set_column(0, 0, 12, formats["text"])  # months typed as text (2025-07) stay as typed
    sheet.set_column(1, 1, 16, formats["text"])  # a region code keeps its digits as text
    sheet.data_validation(
        1, 2, 10000, 2, {"validate": "list", "source": list(protection.bundled().national["industries"])}
    )
    notes = book.add_worksheet("填写说明")
    _header(notes, ["项目", "说明"], (16, 100), formats["head"])
    for line, (item, text) in enumerate(instructions(), start=1):
        notes.write_string(line, 0, item, formats["bold"])
        notes.write_string(line, 1, text, formats["wrap"])
    book.close()
    return buffer.getvalue()
