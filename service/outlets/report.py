"""The result workbook and the blank template, written with xlsxwriter.

The result is written in ``constant_memory`` mode: rows stream to disk as they are written, so a
100,000-row roster costs little memory. Text a user typed goes through ``write_string`` only, so a
name like ``=1+1`` stays text and Excel never runs it as a formula. Money cells are numbers in yuan
(converted from exact integer fen) with a two-decimal format.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import IO, Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from calc.batch import MonthTotal, month_at, month_totals
from rates.families import FAMILIES, Kind
from service.answer.present import trust_text
from service.outlets.job import Outcome
from service.outlets.roster import COLUMNS, MONTH_HELP, PROGRESS_CHUNK, TEMPLATE_EXAMPLE_ID

DETAIL_HEADERS = (
    "原行号",
    "网点名称",
    "姓名",
    "公民身份号码",
    "参保起始月",
    "参保终止月",
    "计费起始月",
    "计费终止月",
    "月数",
    "每人每月缴费",
    "浮动费率",
    "应缴金额",
)
WIDTHS = (8, 28, 12, 22, 12, 12, 12, 12, 8, 14, 10, 16)
MONEY = "#,##0.00"
FACTOR = "0.00##"  # 1 -> 1.00, 1.2 -> 1.20, 0.8125 -> 0.8125: the factor as typed, as a number
PERCENT = "0.00%"


def _formats(book: xlsxwriter.Workbook) -> dict[str, Any]:
    return {
        "head": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}),
        "money": book.add_format({"num_format": MONEY}),
        "money_bold": book.add_format({"num_format": MONEY, "bold": True}),
        "factor": book.add_format({"num_format": FACTOR}),
        "percent": book.add_format({"num_format": PERCENT}),
        "text": book.add_format({"num_format": "@"}),
        "bold": book.add_format({"bold": True}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
    }


def _header(sheet: Worksheet, headers: tuple[str, ...] | list[str], widths: tuple[int, ...], head: Any) -> None:
    for column, (title, width) in enumerate(zip(headers, widths, strict=True)):
        sheet.set_column(column, column, width)
        sheet.write_string(0, column, title, head)
    sheet.freeze_panes(1, 0)
    # printed: landscape, as wide as one page, the column names repeated at the top of every page
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)


def write_result(outcome: Outcome, target: str | IO[bytes], progress: Callable[[int, int], None] | None = None) -> None:
    """Write the five sheets: 明细, 汇总, 按月汇总, 错误, 参数."""
    book = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False})
    formats = _formats(book)
    _detail(book, outcome, formats, progress)
    _summary(book, outcome, formats)
    _by_month(book, outcome, formats)
    _errors(book, outcome, formats)
    _parameters(book, outcome, formats)
    book.close()


def _detail(
    book: xlsxwriter.Workbook,
    outcome: Outcome,
    formats: dict[str, Any],
    progress: Callable[[int, int], None] | None,
) -> None:
    sheet = book.add_worksheet("明细")
    _header(sheet, DETAIL_HEADERS, WIDTHS, formats["head"])
    roster, result = outcome.roster, outcome.result
    money, write_string, write_number = formats["money"], sheet.write_string, sheet.write_number
    accepted = result.accepted.tolist()
    months, amounts = result.months.tolist(), result.amount_fen.tolist()
    monthly, uniform = result.monthly_fen.tolist(), result.uniform.tolist()
    factor_number: dict[Any, float] = {}
    month_text: dict[int, str] = {}

    def month(index: int) -> str:
        return month_text.get(index) or month_text.setdefault(index, str(month_at(index)))

    row = 1
    several = len(roster.parts) > 1  # then 原行号 names the sheet too: 网点甲 第5行
    for position, ok in enumerate(accepted):
        if progress is not None and position % PROGRESS_CHUNK == 0 and position:
            progress(PROGRESS_CHUNK, len(accepted))
        if not ok:
            continue
        start, end, factor = roster.starts[position], roster.ends[position], roster.factors[position]
        if factor not in factor_number:
            factor_number[factor] = float(factor)  # at most 4 decimals (the roster's rule): exact as shown
        # One line per premium: a row whose premium changes (a new year's average wage) gets a line per
        # span, each with its own months, monthly premium and amount, so every column holds numbers only
        # and the amounts still add up to the row's (and the outlet's) total.
        if uniform[position]:
            spans = [(start, end, months[position], monthly[position], amounts[position])]
        else:
            spans = [
                (a.index(), b.index(), a.count_until(b), fen, fen * a.count_until(b))
                for a, b, fen in result.segments(position, start, end)
            ]
        for span_start, span_end, span_months, span_monthly, span_amount in spans:
            if several:
                write_string(row, 0, str(roster.row_label(position)))
            else:
                write_number(row, 0, roster.rows[position])
            write_string(row, 1, roster.outlets[position])
            write_string(row, 2, roster.names[position])
            write_string(row, 3, roster.ids[position])
            write_string(row, 4, month(start))
            write_string(row, 5, month(end))
            write_string(row, 6, month(span_start))
            write_string(row, 7, month(span_end))
            write_number(row, 8, span_months)
            write_number(row, 9, span_monthly / 100, money)
            write_number(row, 10, factor_number[factor], formats["factor"])
            write_number(row, 11, span_amount / 100, money)
            row += 1
    if progress is not None and accepted:
        progress(len(accepted) % PROGRESS_CHUNK or PROGRESS_CHUNK, len(accepted))


def _summary(book: xlsxwriter.Workbook, outcome: Outcome, formats: dict[str, Any]) -> None:
    sheet = book.add_worksheet("汇总")
    _header(sheet, ["网点名称", "人数", "人月数", "应缴金额"], (30, 10, 10, 18), formats["head"])
    row = 1
    for total in outcome.outlets:
        sheet.write_string(row, 0, total.outlet)
        sheet.write_number(row, 1, total.headcount)
        sheet.write_number(row, 2, total.courier_months)
        sheet.write_number(row, 3, total.amount_fen / 100, formats["money"])
        row += 1
    last_outlet = row - 1
    grand = outcome.total
    sheet.write_string(row, 0, "合计", formats["bold"])
    sheet.write_number(row, 1, grand.headcount, formats["bold"])
    sheet.write_number(row, 2, grand.courier_months, formats["bold"])
    sheet.write_number(row, 3, grand.amount_fen / 100, formats["money_bold"])
    row += 2
    facts = [
        ("地区", f"{outcome.region_name}，{outcome.region_source}"),
        ("险种", "基层快递网点工伤保险（网点缴纳，快递员个人不缴费）"),
        ("计费行", f"{outcome.accepted} 行（见“明细”）"),
        ("错误行", f"{outcome.rejected} 行，{len(outcome.errors)} 处问题（见“错误”，改正后可重新上传）"),
        ("空行", f"{outcome.roster.blank_rows} 行（已跳过）"),
        ("说明", "人数按身份证号去重；合计的人数为全部网点去重后的人数。每个数字的来源文号见“参数”表。"),
    ]
    facts += [("提示", note) for note in outcome.notes()]
    for label, text in facts:
        sheet.write_string(row, 0, label, formats["bold"])
        sheet.write_string(row, 1, text)
        row += 1
    if outcome.outlets:
        chart = book.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": "应缴金额（元）",
                "categories": ["汇总", 1, 0, last_outlet, 0],
                "values": ["汇总", 1, 3, last_outlet, 3],
                "data_labels": {"value": True, "num_format": MONEY},
            }
        )
        chart.set_title({"name": "各网点应缴金额"})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})
        chart.set_size({"width": 640, "height": max(240, 24 * len(outcome.outlets) + 80)})
        sheet.insert_chart(row + 1, 0, chart)  # below the facts, whose long lines run across the columns


def _by_month(book: xlsxwriter.Workbook, outcome: Outcome, formats: dict[str, Any]) -> None:
    """按月汇总: outlets pay monthly; each month, what each outlet pays, then the month's total (issue 23)."""
    sheet = book.add_worksheet("按月汇总")
    _header(sheet, ["缴费月份", "网点名称", "人数", "应缴金额"], (12, 30, 10, 18), formats["head"])
    roster = outcome.roster
    per_outlet, overall = month_totals(roster.outlets, roster.starts, roster.ends, outcome.result)
    by_month: dict[str, list[MonthTotal]] = {}
    for total in per_outlet:
        by_month.setdefault(str(total.month), []).append(total)
    row = 1
    for month_total in overall:
        month = str(month_total.month)
        for total in by_month.get(month, []):
            sheet.write_string(row, 0, month)
            sheet.write_string(row, 1, total.outlet)
            sheet.write_number(row, 2, total.couriers)
            sheet.write_number(row, 3, total.amount_fen / 100, formats["money"])
            row += 1
        sheet.write_string(row, 0, month, formats["bold"])
        sheet.write_string(row, 1, "本月合计", formats["bold"])
        sheet.write_number(row, 2, month_total.couriers, formats["bold"])
        sheet.write_number(row, 3, month_total.amount_fen / 100, formats["money_bold"])
        row += 1
    if not overall:
        sheet.write_string(row, 0, "没有可计算的行：各行的问题见“错误”表。")


def _errors(book: xlsxwriter.Workbook, outcome: Outcome, formats: dict[str, Any]) -> None:
    sheet = book.add_worksheet("错误")
    _header(sheet, ["原行号", "列", "原值", "说明"], (8, 16, 24, 80), formats["head"])
    for row, error in enumerate(outcome.errors, start=1):
        place = outcome.roster.label(error.sheet, error.row)
        if isinstance(place, int):
            sheet.write_number(row, 0, place)
        else:
            sheet.write_string(row, 0, place)
        sheet.write_string(row, 1, error.column or "整行")
        sheet.write_string(row, 2, error.raw)
        sheet.write_string(row, 3, error.message)


PARAMETER_HEADERS = (
    "参数",
    "项目",
    "取值",
    "单位",
    "地区层级",
    "生效月",
    "文号",
    "文件",
    "可信度",
    "暂按上年度标准",
    "版本号",
)


def _parameters(book: xlsxwriter.Workbook, outcome: Outcome, formats: dict[str, Any]) -> None:
    """One line per figure: its Chinese name, the figure as a number (money or percent), then its source."""
    sheet = book.add_worksheet("参数")
    _header(sheet, PARAMETER_HEADERS, (40, 28, 12, 6, 10, 10, 24, 50, 10, 14, 8), formats["head"])
    row = 1
    for version in outcome.references:
        family = FAMILIES.get(version["family"])
        titles = "；".join(r["title"] for r in version["references"])
        known = [f.name for f in family.fields] if family else []
        names = [n for n in known if n in version["values"]] + [n for n in version["values"] if n not in known]
        for name in names:  # in the family's order: the average wage, then the floor, then the ceiling
            value = version["values"][name]
            spec = family.field(name) if family else None
            sheet.write_string(row, 0, version["family_label"])
            sheet.write_string(row, 1, spec.label if spec else name)
            if spec is not None and spec.kind is Kind.MONEY:
                sheet.write_number(row, 2, float(Decimal(value)), formats["money"])  # two decimals at most
                sheet.write_string(row, 3, "元")
            elif spec is not None and spec.kind is Kind.RATIO:
                sheet.write_number(row, 2, float(Decimal(value)), formats["percent"])
                sheet.write_string(row, 3, "")
            else:  # a word (a rounding rule): text as published
                sheet.write_string(row, 2, str(value))
                sheet.write_string(row, 3, "")
            sheet.write_string(row, 4, version["region_name"])
            sheet.write_string(row, 5, version["effective_from"])
            sheet.write_string(row, 6, version["doc_no"])
            sheet.write_string(row, 7, titles)
            sheet.write_string(row, 8, trust_text(version))
            sheet.write_string(row, 9, "是" if version["provisional"] else "否")
            sheet.write_number(row, 10, version["id"] or 0)
            row += 1


# ---------------------------------------------------------------- the template

TEMPLATE_HEADERS = tuple(COLUMNS.values())
TEMPLATE_WIDTHS = (28, 24, 12, 22, 14, 14, 10, 20)
INSTRUCTIONS = (
    ("用途", "填写本网点参加工伤保险的快递员，上传后得到每人应缴金额、各网点合计和无法使用的行及原因。"),
    ("网点名称", "必填。同一网点每行都要填写（合并单元格也可以）。"),
    ("统一社会信用代码", "选填。填写时须为营业执照上的18位代码，会做校验；未选地区时按代码中的地区测算。"),
    ("姓名", "必填。前后空格会自动去掉。"),
    ("公民身份号码", "必填，18位，最后一位可为 X。该列已设为文本格式：请勿改成数字格式，否则 Excel 会丢掉后几位。"),
    ("参保起始月 / 参保终止月", f"必填，两端都计入。{MONTH_HELP}。"),
    ("浮动费率", "选填，网点的浮动费率系数（例如 1.2），不填按 1 计算。"),
    ("备注", "选填，不参与计算。"),
    ("示例行", "第2行是示例，上传前请删除（保留也不会计费，会在错误表中提示）。"),
    ("重复", "同一身份证号参保月份重叠的，只计第一行，其余行列为错误，不会重复计费。"),
    ("合计行", "可以保留“合计”行，它不会被当作快递员。"),
    ("表头", "表头上方可以有标题行；列名可以带空格或用全角字符，也接受“身份证号”“起始月份”等常见写法。"),
)


def write_template(limits_rows: int) -> bytes:
    """The blank roster: Chinese headers, an example row, validated month cells, ID column as text."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    formats = _formats(book)
    month = book.add_format({"num_format": "yyyy-mm"})
    sheet = book.add_worksheet("花名册")
    _header(sheet, TEMPLATE_HEADERS, TEMPLATE_WIDTHS, formats["head"])
    sheet.set_column(3, 3, 22, formats["text"])  # the ID column is text: Excel would drop digits of a number
    sheet.set_column(1, 1, 24, formats["text"])
    sheet.set_column(4, 5, 14, month)
    last = min(limits_rows, 1_048_575)
    for column in (4, 5):
        sheet.data_validation(
            1,
            column,
            last,
            column,
            {
                "validate": "date",
                "criteria": "between",
                "minimum": dt.date(2000, 1, 1),
                "maximum": dt.date(2099, 12, 31),
                "input_title": "填写月份",
                "input_message": "例如 2025-03（也可写 2025年3月）",
                "error_title": "月份不对",
                "error_message": "请填写 2000 年至 2099 年之间的年月，例如 2025-03。",
                "error_type": "warning",  # 2025年3月 typed as text is accepted by the service too
            },
        )
    sheet.data_validation(
        1,
        6,
        last,
        6,
        {
            "validate": "decimal",
            "criteria": "between",
            "minimum": 0.0001,
            "maximum": 3,
            "error_title": "浮动费率不对",
            "error_message": "浮动费率须大于0且不超过3，不填按 1 计算。",
        },
    )
    example = ("示例：XX快递XX网点", "", "张三（示例）", TEMPLATE_EXAMPLE_ID)
    for column, text in enumerate(example):
        if text:
            sheet.write_string(1, column, text, formats["text"] if column in (1, 3) else None)
    sheet.write_datetime(1, 4, dt.datetime(2025, 1, 1), month)
    sheet.write_datetime(1, 5, dt.datetime(2025, 12, 1), month)
    sheet.write_number(1, 6, 1)
    sheet.write_string(1, 7, "示例行，上传前请删除")
    help_sheet = book.add_worksheet("填写说明")
    help_sheet.set_column(0, 0, 24)
    help_sheet.set_column(1, 1, 90)
    help_sheet.write_string(0, 0, "项目", formats["head"])
    help_sheet.write_string(0, 1, "说明", formats["head"])
    for row, (label, text) in enumerate(INSTRUCTIONS, start=1):
        help_sheet.write_string(row, 0, label, formats["bold"])
        help_sheet.write_string(row, 1, text, formats["wrap"])
    help_sheet.write_string(len(INSTRUCTIONS) + 1, 0, "上限", formats["bold"])
    help_sheet.write_string(len(INSTRUCTIONS) + 1, 1, f"一次最多 {limits_rows} 行；更多请拆分成几个文件。")
    book.close()
    return buffer.getvalue()
