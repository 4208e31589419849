"""Export and import of the parameter store: the bundled files' YAML tree, and a workbook of one row per version.

What an export carries (both formats): the regions and every version *in force* (neither superseded
nor withdrawn) with its values, references, trust level, note and scheme switches. It does not carry
the history (superseded and withdrawn records), record ids, or who recorded a version and when: the
bundled files' format has no place for them, and they stay in the database and its audit log (back
the database up to keep them). Importing an export into an empty database therefore gives a store in
which every region, family and month resolves to the same figures with the same sources.

Problems found while reading an upload are ``PublishError`` with Chinese messages that name the
cell (workbook) or the key (YAML), like everything an administrator reads.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import yaml

from rates.families import FAMILIES, TRUST_LABELS
from rates.loader import AliasRefused, _Problem, _StrictLoader, parse_family_document, refuse_alias
from rates.model import Reference, Region, Version
from rates.months import Month
from rates.publish import Problem, PublishError, parse_proposal, translate
from rates.store import Snapshot

if TYPE_CHECKING:  # openpyxl is imported where a workbook is made or read: every start is spared it
    import openpyxl
    from openpyxl.worksheet.worksheet import Worksheet

SCOPE_NOTE = "仅含在用版本，不含已更正、已撤回的历史记录"
MAX_ROWS = 5000  # far more versions than any store holds; a sanity limit on one upload
PARAMETER_SHEET = "参数"
REGION_SHEET = "地区"

# ---------------------------------------------------------------- one version as the files write it


def _text(value: Decimal | str) -> str:
    return str(value)  # as stored: "0.20" stays "0.20"


def _reference_body(reference: Reference) -> dict[str, Any]:
    return {key: value for key, value in reference.to_json().items() if value}  # the files omit what is empty


def version_body(version: Version) -> dict[str, Any]:
    """A version's entry under ``values`` in a family file (without its month key)."""
    family = FAMILIES[version.family]
    body: dict[str, Any] = {}
    if family.yearly:
        body["contribution_year"] = version.contribution_year
    for spec in family.fields:
        if spec.name in version.values:
            body[spec.name] = _text(version.values[spec.name])
    if version.effective_by_scheme:
        body["effective_by_scheme"] = {k: _Quoted(v) for k, v in sorted(version.effective_by_scheme.items())}
    if version.effective_to is not None:
        body["effective_to"] = _Quoted(version.effective_to)
    references = [_reference_body(r) for r in version.references]
    body["reference"] = references[0] if len(references) == 1 else references
    body["trust"] = version.trust
    if version.note:
        body["note"] = version.note
    return body


# ---------------------------------------------------------------- YAML tree


class _Quoted(str):
    """A month written "2026-01", quoted as in the bundled files (a bare 2026-01 is fragile in YAML)."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Quoted, lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"'))


def _dump(document: Any, comment: str) -> str:
    text = yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return f"# {comment}\n{text}"


def yaml_tree(snapshot: Snapshot) -> dict[str, str]:
    """``{"regions.yaml": ..., "<region>/<family>.yaml": ...}``: the versions in force, as the bundled files."""
    stamp = f"参数库导出：{SCOPE_NOTE}；{date.today().isoformat()}"
    regions = {
        code: {"name": region.name, "parent": region.parent} for code, region in sorted(snapshot.regions.items())
    }
    files = {"regions.yaml": _dump(regions, stamp)}
    for code in sorted(snapshot.regions):
        for name in FAMILIES:
            active = snapshot.active(code, name)
            if active:
                document = {"values": {_Quoted(v.effective_from): version_body(v) for v in active}}
                files[f"{code}/{name}.yaml"] = _dump(document, f"{FAMILIES[name].label}；{stamp}")
    return files


def yaml_zip(snapshot: Snapshot) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in yaml_tree(snapshot).items():
            archive.writestr(path, text)
    return buffer.getvalue()


def read_family_yaml(region: str, family_name: str, data: bytes, origin: str) -> list[Version]:
    """One uploaded family file (the format of rates/params/<region>/<family>.yaml)."""
    family = FAMILIES.get(family_name)
    if family is None:
        raise PublishError([Problem("family", f"参数类别：未知的类别“{family_name}”。")])
    try:
        text = data.decode("utf-8-sig")
        _check_depth(text)
        document = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise PublishError([Problem("file", _TOO_DEEP)]) from None
    except UnicodeDecodeError:
        raise PublishError([Problem("file", "文件：不是 UTF-8 编码的文本，请以 UTF-8 保存后重新上传。")]) from None
    except AliasRefused as error:
        where = f"第{error.problem_mark.line + 1}行" if error.problem_mark is not None else ""
        raise PublishError([Problem("file", f"文件{where}：{AliasRefused.MESSAGE}。")]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"第{mark.line + 1}行" if mark is not None else ""
        raise PublishError(
            [Problem("file", f"文件：不是有效的 YAML（{where}{getattr(error, 'problem', '')}）。")]
        ) from None
    try:
        return parse_family_document(region, family, document, origin)
    except _Problem as problem:
        translated = translate(family, problem)
        raise PublishError([Problem(translated.field, f"“{problem.key}” {translated.message}")]) from None


MAX_DEPTH = 20  # a family file is four levels deep; the composer of PyYAML recurses once per level
_TOO_DEEP = f"文件：嵌套层数过多（超过{MAX_DEPTH}层），不是参数文件的格式。"


def _check_depth(text: str) -> None:
    """Refuse a document nested deeper than any parameter file, or with anchors and aliases, before it is
    built (PyYAML's parser streams events without recursion; building the document recurses once per
    level, and an alias bomb only grows once aliases are resolved)."""
    depth = 0
    for event in yaml.parse(text, Loader=_StrictLoader):  # events only: nothing is constructed
        refuse_alias(event)
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise PublishError([Problem("file", _TOO_DEEP)])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


MAX_MEMBER_BYTES = 2 * 1024 * 1024  # one family file of an export is a few kilobytes


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """One member's bytes, or a Chinese reason why it cannot be read (whatever its headers claim)."""
    if info.flag_bits & 0x1:
        raise PublishError([Problem("file", "文件已加密，请上传未加密的压缩包（导出的 .zip 不加密）。")])
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise PublishError([Problem("file", "使用了不支持的压缩方式，请以普通的 zip（deflate）压缩后上传。")])
    if info.file_size > MAX_MEMBER_BYTES:
        raise PublishError([Problem("file", "文件过大，不是导出的参数文件。")])
    try:
        with archive.open(info) as handle:
            data = handle.read(MAX_MEMBER_BYTES + 1)  # bounded even where the header lies about the size
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError, NotImplementedError):
        raise PublishError([Problem("file", "文件已损坏（校验失败或大小与记录不符），请重新导出后上传。")]) from None
    if len(data) > MAX_MEMBER_BYTES:
        raise PublishError([Problem("file", "文件过大，不是导出的参数文件。")])
    return data


def read_yaml_zip(data: bytes, known_regions: Iterable[str]) -> list[Version]:
    """An exported tree as a .zip: every ``<region>/<family>.yaml`` (regions.yaml is not read: regions are not
    created by an upload); problems name the file and the key."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
        raise PublishError([Problem("file", "文件：不是有效的 .zip 压缩包。")]) from None
    known, versions, problems = set(known_regions), [], []
    with archive:
        members = [i for i in archive.infolist() if not i.filename.endswith("/") and i.filename != "regions.yaml"]
        if len(members) > MAX_ROWS or sum(i.file_size for i in archive.infolist()) > 20 * 1024 * 1024:
            raise PublishError([Problem("file", "文件：压缩包内容过多，请拆分后分别上传。")])
        for info in members:
            name = info.filename
            region, _, file = name.partition("/")
            family = file.removesuffix(".yaml")
            if region not in known or family not in FAMILIES or not file.endswith(".yaml") or "/" in file:
                problems.append(Problem("file", f"{name}：须为“地区代码/参数类别.yaml”（已知的地区和类别）。"))
                continue
            try:
                versions += read_family_yaml(region, family, _member(archive, info), f"upload {name}")
            except PublishError as error:
                problems += [Problem(p.field, f"{name}：{p.message}") for p in error.problems]
    if problems:
        raise PublishError(problems)
    if not versions:
        raise PublishError([Problem("file", "文件：压缩包中没有参数文件。")])
    return versions


# ---------------------------------------------------------------- workbook layout


def _field_columns() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for family in FAMILIES.values():
        for spec in family.fields:
            seen.setdefault(spec.name, spec.label)
    return list(seen.items())


REFERENCE_PARTS = (
    ("title", "标题"),
    ("doc_no", "文号"),
    ("url", "链接"),
    ("published", "发布日期"),
    ("source", "来源"),
    ("fields", "适用项目"),
    ("carries_over", "省里明确沿用起始月份"),
)
LEADING = [
    ("region", "地区代码"),
    ("family", "参数类别"),
    ("effective_from", "生效月份"),
    ("contribution_year", "缴费年度"),
]
TRAILING = [
    ("trust", "可信度"),
    ("note", "说明"),
    ("effective_by_scheme", "分险种生效月份"),
    ("effective_to", "截止月份（含，有效期至）"),
]
HEADER_KEY = re.compile(r"（([a-z0-9_]+)）\s*$")


def columns(references: int = 1) -> list[tuple[str, str]]:
    """(key, Chinese heading) of every column; ``references`` slots of reference columns."""
    slots = [(f"ref{i}_{part}", f"依据{i}{label}") for i in range(1, references + 1) for part, label in REFERENCE_PARTS]
    return [*LEADING, *_field_columns(), *TRAILING, *slots]


def _heading(key: str, label: str) -> str:
    return f"{label}（{key}）"


def _cell_text(value: Decimal | str | int | None) -> str | int | None:
    return value if value is None or isinstance(value, int) else str(value)


def _row(version: Version, keys: list[str]) -> list[Any]:
    cells: dict[str, Any] = {
        "region": version.region,
        "family": version.family,
        "effective_from": str(version.effective_from),
        "contribution_year": version.contribution_year,
        "trust": version.trust,
        "note": version.note,
        "effective_by_scheme": "；".join(f"{k}: {v}" for k, v in sorted(version.effective_by_scheme.items())) or None,
        "effective_to": str(version.effective_to) if version.effective_to is not None else None,
        **{name: _text(value) for name, value in version.values.items()},
    }
    for i, reference in enumerate(version.references, start=1):
        body = _reference_body(reference)
        for part, _ in REFERENCE_PARTS:
            value = body.get(part)
            cells[f"ref{i}_{part}"] = ", ".join(value) if isinstance(value, list) else value
    return [_cell_text(cells.get(key)) for key in keys]


def append_text_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """Append a row in which text stays text: "=…" would otherwise become a formula (and run in Excel)."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"


def _write_sheet(sheet: Worksheet, headings: list[str], rows: Iterable[list[Any]]) -> None:
    from openpyxl.utils import get_column_letter

    append_text_row(sheet, headings)
    for row in rows:
        append_text_row(sheet, row)
    for index, heading in enumerate(headings, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, min(40, len(heading) * 2))
        for cell in sheet[letter]:  # text cells keep figures exact ("0.20", not 0.2) when someone edits the file
            cell.number_format = "@"
    sheet.freeze_panes = "A2"


def _guide(book: openpyxl.Workbook) -> None:
    sheet = book.create_sheet("说明")
    lines = [
        ["每行一个参数版本：地区代码、参数类别、生效月份（YYYY-MM），以及该类别的各项取值（其他类别的列留空）。"],
        ["数字请以文本填写（单元格格式为“文本”），保持精确，例如 0.20、6800。"],
        ["按年度公布的类别（avg_wage、resident_medical）须填缴费年度；每个版本须有依据文件标题，发布时须有文号。"],
        ["可信度填 official（官方原文）、medium（较可靠）或 low（待核实）。一个版本有多份依据时填写依据2、依据3……列。"],
        ["截止月份：依据文件写明有效期时填最后一个月（YYYY-MM，含该月）；之后恢复此前在用的版本，没有则为未配置。"],
        [f"导出文件{SCOPE_NOTE}；历史记录保存在数据库与审计日志中。"],
        [],
        ["参数类别", "名称", "各项（列名）", "按年度"],
    ]
    for family in FAMILIES.values():
        fields = "、".join(f"{f.label}（{f.name}）{'' if f.required else '[可选]'}" for f in family.fields)
        lines.append([family.name, family.label, fields, "是" if family.yearly else "否"])
    for line in lines:
        sheet.append(line)
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 40
    sheet.column_dimensions["C"].width = 80


def workbook(versions: list[Version], regions: Mapping[str, Region]) -> bytes:
    """The workbook: sheet 参数 (one row per version), sheet 地区, and a guide to the layout."""
    slots = max((len(v.references) for v in versions), default=1)
    layout = columns(slots)
    keys = [key for key, _ in layout]
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = PARAMETER_SHEET
    _write_sheet(sheet, [_heading(k, label) for k, label in layout], (_row(v, keys) for v in versions))
    region_rows = ([r.code, r.name, r.parent] for _, r in sorted(regions.items()))
    _write_sheet(book.create_sheet(REGION_SHEET), ["地区代码（code）", "名称（name）", "上级（parent）"], region_rows)
    _guide(book)
    return saved(book)


def saved(book: openpyxl.Workbook) -> bytes:
    """A workbook as the bytes of an .xlsx file."""
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_workbook(snapshot: Snapshot) -> bytes:
    versions = [v for code in sorted(snapshot.regions) for name in FAMILIES for v in snapshot.active(code, name)]
    return workbook(versions, snapshot.regions)


def template_workbook(snapshot: Snapshot) -> bytes:
    return workbook([], snapshot.regions)


# ---------------------------------------------------------------- reading a workbook


def _plain(value: Any) -> Any:
    """A cell as the text a person meant: numbers typed into Excel come back as text again."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same float: what was typed (0.2, not 0.2000…01)
        return repr(value).removesuffix(".0")
    if isinstance(value, datetime | date):
        return value
    text = str(value).strip()
    return text or None


def _month_text(value: Any) -> str | None:
    if isinstance(value, datetime | date):  # Excel turned "2026-01" into a date
        return f"{value.year:04d}-{value.month:02d}"
    return value


def _date_text(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,，、;；]", text) if part.strip()]


def _schemes(text: str) -> dict[str, str]:
    """ "flexible_medical: 2026-09；…" as {scheme: month}."""
    switches: dict[str, str] = {}
    for part in re.split(r"[;；]", text):
        if part.strip():
            scheme, *month = re.split(r"[:：]", part, maxsplit=1)
            switches[scheme.strip()] = month[0].strip() if month else ""
    return switches


def _keys(header: tuple[Any, ...]) -> list[str | None]:
    known = {key for key, _ in columns(20)}
    keys: list[str | None] = []
    for cell in header:
        text = str(cell).strip() if cell is not None else ""
        match = HEADER_KEY.search(text)
        key = match.group(1) if match else text
        keys.append(key if key in known else None)
    return keys


_FAMILY_BY_LABEL = {f.label: f.name for f in FAMILIES.values()}
_TRUST_BY_LABEL = {label: key for key, label in TRUST_LABELS.items()}


class _Sheet:
    """The 参数 sheet, read row by row into proposals; problems collected with their cell."""

    def __init__(self, keys: list[str | None]):
        self.keys = keys
        self.problems: list[Problem] = []

    def cell(self, row: int, key: str) -> str:
        if key in self.keys:
            from openpyxl.utils import get_column_letter

            return f"{get_column_letter(self.keys.index(key) + 1)}{row}"
        return f"第{row}行"

    def problem(self, row: int, key: str, message: str) -> None:
        self.problems.append(Problem(self.cell(row, key), f"第{row}行（单元格{self.cell(row, key)}）{message}"))

    def column_of(self, field: str) -> str:
        """The column a translated problem's field points to."""
        if field.startswith("reference"):
            index = re.search(r"\[(\d+)\]", field)
            return f"ref{int(index.group(1)) + 1 if index else 1}_title"
        return field

    def proposal(self, row: int, values: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"effective_from": _month_text(values.get("effective_from"))}
        year = values.get("contribution_year")
        if year is not None:
            body["contribution_year"] = int(year) if isinstance(year, str) and year.isdigit() else year
        for name, _ in _field_columns():
            if values.get(name) is not None:
                body[name] = values[name]
        trust = values.get("trust")
        body["trust"] = _TRUST_BY_LABEL.get(trust, trust)
        if values.get("note") is not None:
            body["note"] = values["note"]
        if values.get("effective_by_scheme") is not None:
            body["effective_by_scheme"] = _schemes(str(values["effective_by_scheme"]))
        if values.get("effective_to") is not None:
            body["effective_to"] = _month_text(values["effective_to"])
        references = []
        slot = 1
        while f"ref{slot}_title" in self.keys:
            ref = {part: values.get(f"ref{slot}_{part}") for part, _ in REFERENCE_PARTS}
            if any(v is not None for v in ref.values()):
                ref["published"] = _date_text(ref["published"])
                ref["fields"] = _split(ref["fields"]) if ref["fields"] else None
                ref["carries_over"] = _month_text(ref["carries_over"])
                references.append({k: v for k, v in ref.items() if v is not None})
            slot += 1
        if references:
            body["reference"] = references[0] if len(references) == 1 else references
        return body


def read_workbook(data: bytes, known_regions: Iterable[str] | None = None) -> tuple[dict[str, Region], list[Version]]:
    """The regions and versions of a workbook in the export layout; PublishError names every bad cell.

    ``known_regions``: the region codes a row may name (default: those of the workbook's 地区 sheet).
    """
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a file that is not a workbook
        raise PublishError([Problem("file", "文件：不是有效的 .xlsx 工作簿，请用本页提供的模板或导出文件。")]) from None
    try:
        if PARAMETER_SHEET not in book.sheetnames:
            raise PublishError([Problem("file", f"文件：找不到工作表“{PARAMETER_SHEET}”，请用本页提供的模板。")])
        regions = _read_regions(book[REGION_SHEET]) if REGION_SHEET in book.sheetnames else {}
        versions = _read_versions(book[PARAMETER_SHEET], set(known_regions if known_regions is not None else regions))
    finally:
        book.close()
    return regions, versions


def _read_regions(sheet: Any) -> dict[str, Region]:
    regions = {}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        code, name, parent = [*row, None, None, None][:3]
        if code is None:
            continue
        regions[str(code).strip()] = Region(str(code).strip(), str(name or "").strip(), _plain(parent))
    return regions


def _read_versions(sheet: Any, known: set[str]) -> list[Version]:
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    keys = _keys(header or ())
    missing = [label for key, label in LEADING[:3] if key not in keys]
    if missing:
        raise PublishError([Problem("file", f"文件：第1行缺少列“{'、'.join(missing)}”，请用本页提供的模板。")])
    reader = _Sheet(keys)
    versions: list[Version] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, raw in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            reader.problem(number, "region", f"行数超过上限{MAX_ROWS}行，请拆分后分别上传。")
            break
        values = {key: _plain(value) for key, value in zip(keys, raw, strict=False) if key is not None}
        if all(v is None for v in values.values()):
            continue
        version = _read_row(reader, number, values, known)
        if version is None:
            continue
        identity = (version.region, version.family, str(version.effective_from))
        if identity in seen:
            reader.problem(number, "effective_from", f"生效月份：与第{seen[identity]}行是同一地区、类别和月份。")
            continue
        seen[identity] = number
        versions.append(version)
    if reader.problems:
        raise PublishError(reader.problems)
    if not versions:
        raise PublishError([Problem("file", "文件：工作表“参数”中没有参数行。")])
    return versions


def _read_row(reader: _Sheet, number: int, values: dict[str, Any], known: set[str]) -> Version | None:
    region = values.get("region")
    if region not in known:
        reader.problem(number, "region", f"地区代码：未知地区代码“{region or ''}”。")
        return None
    family = _FAMILY_BY_LABEL.get(values.get("family"), values.get("family"))
    if family not in FAMILIES:
        reader.problem(
            number, "family", f"参数类别：未知的类别“{values.get('family') or ''}”，须为 {'、'.join(FAMILIES)}。"
        )
        return None
    month = _month_text(values.get("effective_from"))
    try:
        Month.parse(str(month))
    except ValueError:
        reader.problem(number, "effective_from", f"生效月份：须写成YYYY-MM（如2026-01），填写的是“{month or ''}”。")
        return None
    try:
        return parse_proposal(str(region), str(family), reader.proposal(number, values), f"workbook row {number}")
    except PublishError as error:
        for problem in error.problems:
            reader.problem(number, reader.column_of(problem.field), problem.message)
        return None
