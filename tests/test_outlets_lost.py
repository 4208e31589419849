"""Rosters that used to lose couriers or split one outlet in two (issue 12): every sheet is read by its
position, invisible characters never make two outlets that look the same, merged outlet cells count for
every row they span."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.outlets.roster import Limits, read_roster
from service.outlets.sheets import MergedColumn
from tests.outlets_support import HEADERS, make_id, post, sheet_xml, xml_workbook


def courier(serial: int, name: str = "张三", outlet: str = "网点甲") -> list[object]:
    return [outlet, "", name, make_id(serial), "2025-01", "2025-03", None, ""]


# ---------------------------------------------------------------- two sheets of one name


def test_two_sheets_of_the_same_name_are_both_read_by_position(client: FlaskClient) -> None:
    first = sheet_xml([HEADERS, courier(1), courier(2, "李四")])
    second = sheet_xml(
        [HEADERS, courier(3, "王五", "网点乙"), courier(4, "赵六", "网点乙"), courier(5, "钱七", "网点乙")]
    )
    data = xml_workbook([("花名册", first), ("花名册", second)])
    status, body = post(client, data)
    assert status == 200, body
    assert body["accepted"] == 5 and body["rejected"] == 0, body
    assert {o["outlet"]: o["headcount"] for o in body["outlets"]} == {"网点甲": 2, "网点乙": 3}
    assert [s["name"] for s in body["sheets"]] == ["花名册", "花名册（第2个工作表）"]
    assert any("多个工作表都叫“花名册”" in note and "第2个工作表" in note for note in body["notes"]), body["notes"]


def test_sheets_whose_names_differ_only_by_invisible_characters_are_told_apart(client: FlaskClient) -> None:
    first = sheet_xml([HEADERS, courier(1)])
    second = sheet_xml([HEADERS, courier(2, "李四")])
    third = sheet_xml([HEADERS, courier(3, "王五")])
    data = xml_workbook([("花名册", first), ("花名册\u200b", second), ("花名册", third)])
    status, body = post(client, data)
    assert status == 200 and body["accepted"] == 3, body
    names = [s["name"] for s in body["sheets"]]
    assert names == ["花名册", "花名册（第2个工作表）", "花名册（第3个工作表）"], names
    places = {e["place"] for e in body["errors"]}
    assert not places  # nothing refused, nothing counted twice


def test_a_formula_on_the_second_sheet_of_a_shared_name_is_found_on_that_sheet() -> None:
    formula = '<c r="G2"><f>1+1</f></c>'
    first = sheet_xml([HEADERS, courier(1)])
    second = sheet_xml([HEADERS, [*courier(2, "李四")[:6], formula, ""]])
    roster = read_roster(xml_workbook([("表", first), ("表", second)]), Limits())
    assert roster.names == ["张三"]
    assert [(e.sheet, e.row, e.column) for e in roster.errors] == [("表（第2个工作表）", 2, "浮动费率")]


# ---------------------------------------------------------------- invisible and direction characters


INVISIBLE_OUTLETS = [
    "网点甲",
    "网点\u200b甲",  # zero-width space
    "\ufeff网点甲",  # byte order mark pasted in front
    "网点\u200d甲",  # zero-width joiner
    "\u2066网点甲\u2069",  # left-to-right isolate ... pop directional isolate
    "网点\u202e甲\u202c",  # right-to-left override ... pop
    "网点\u2060甲\u00ad",  # word joiner, soft hyphen
]


def test_outlets_differing_only_by_invisible_characters_are_one_outlet_and_it_is_said(client: FlaskClient) -> None:
    rows = [HEADERS, *(courier(i, f"快递员{i}", outlet) for i, outlet in enumerate(INVISIBLE_OUTLETS))]
    rows.append(courier(50, "张\u200b三", "网点乙"))
    rows.append(courier(51, "李四", "网点乙\u200e"))
    status, body = post(client, xml_workbook({"花名册": sheet_xml(rows)}))
    assert status == 200 and body["rejected"] == 0, body
    assert {o["outlet"]: o["headcount"] for o in body["outlets"]} == {"网点甲": 7, "网点乙": 2}
    note = next(n for n in body["notes"] if "看不见的字符" in n)
    assert "有 8 个单元格（网点名称、姓名）" in note and "第3行网点名称" in note, note


def test_invisible_characters_in_an_id_number_do_not_hide_a_duplicate(client: FlaskClient) -> None:
    number = make_id(7)
    rows = [
        HEADERS,
        courier(7),
        ["网点甲", "", "张三", number[:9] + "\u200b" + number[9:], "2025-02", "2025-02", 1, ""],
    ]
    status, body = post(client, xml_workbook({"花名册": sheet_xml(rows)}))
    assert status == 200 and body["accepted"] == 1 and body["rejected"] == 1, body
    assert body["errors"][0]["row"] == 3 and "同一身份证号" in body["errors"][0]["message"], body["errors"]
    assert any("公民身份号码" in n for n in body["notes"]), body["notes"]


def test_emoji_joined_by_zero_width_joiners_and_flags_stay_as_typed() -> None:
    family, flag = "买买提👨\u200d👩\u200d👧", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f网点"
    roster = read_roster(xml_workbook({"花名册": sheet_xml([HEADERS, courier(1, family, flag)])}), Limits())
    assert roster.names == [family] and roster.outlets == [flag] and roster.cleaned == []


# ---------------------------------------------------------------- merged outlet cells


def test_outlet_cells_merged_over_pairs_of_rows_count_for_both_rows() -> None:
    rows = [HEADERS]
    merged = []
    for pair in range(500):
        top = 2 + 2 * pair
        rows.append(courier(2 * pair, "甲", f"网点{pair % 7}"))
        rows.append(courier(2 * pair + 1, "乙", ""))
        merged.append(f"A{top}:A{top + 1}")
    roster = read_roster(xml_workbook({"花名册": sheet_xml(rows, merged=merged)}), Limits())
    assert roster.errors == []
    assert roster.outlets == [f"网点{(i // 2) % 7}" for i in range(1000)]


def test_merged_column_walks_the_merges_in_row_order() -> None:
    cells = [["网点甲"], [""], [""], ["网点乙"], [""], [""], ["网点丙"]]
    merges = [((3, 0), (5, 0)), ((0, 0), (1, 0)), ((6, 1), (6, 2))]  # unordered; the last one is another column
    column = MergedColumn(cells, merges, 0)
    assert [column.value(row) for row in range(7)] == ["网点甲", "网点甲", "", "网点乙", "网点乙", "网点乙", ""]


# ---------------------------------------------------------------- rows counted before they are built


def big_sheet(rows: int) -> bytes:
    body = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>\xe7\xbd\x91</t></is></c><c r="C%d"><v>1</v></c></row>'
        % (n, n, n)
        for n in range(2, rows + 2)
    )
    return sheet_xml([HEADERS], body)


def test_rows_are_counted_on_the_xml_and_too_many_refused_before_any_sheet_is_read() -> None:
    from service.outlets.roster import RosterFileError, open_roster

    limits = Limits(max_rows=1000)
    with pytest.raises(RosterFileError) as refused:
        open_roster(xml_workbook({"花名册": big_sheet(5000)}), limits)
    assert refused.value.code == "too_many_rows" and refused.value.status == 413
    assert "1000 行" in refused.value.message
    # styled empty rows and hidden sheets do not count; header and title rows do, within the allowance
    styled = b"".join(b'<row r="%d" s="2"><c r="A%d" s="2"/></row>' % (n, n) for n in range(3, 50_000))
    opened = open_roster(
        xml_workbook({"花名册": sheet_xml([HEADERS, courier(1)], styled), "旧": big_sheet(5000)}, {"旧": "hidden"}),
        limits,
    )
    assert opened.filled_rows == 2


def test_a_million_row_file_is_refused_through_the_api_with_the_row_limit(small_app: Flask) -> None:
    status, body = post(small_app.test_client(), xml_workbook({"花名册": big_sheet(20_000)}))
    assert status == 413 and body["error"]["code"] == "too_many_rows", body
