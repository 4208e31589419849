"""The bundled files' format: a YAML tree of one file per region and family, exported and read back (a zip)."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterable
from datetime import date
from typing import Any

import yaml

from rates.families import FAMILIES
from rates.loader import AliasRefused, _Problem, _StrictLoader, parse_family_document, refuse_alias
from rates.model import Version
from rates.publish import Problem, PublishError, translate
from rates.store import Snapshot
from rates.transfer.common import MAX_ROWS, SCOPE_NOTE, reference_body, text

# ---------------------------------------------------------------- one version as the files write it


def version_body(version: Version) -> dict[str, Any]:
    """A version's entry under ``values`` in a family file (without its month key)."""
    family = FAMILIES[version.family]
    body: dict[str, Any] = {}
    if family.yearly:
        body["contribution_year"] = version.contribution_year
    for spec in family.fields:
        if spec.name in version.values:
            body[spec.name] = text(version.values[spec.name])
    if version.effective_by_scheme:
        body["effective_by_scheme"] = {k: _Quoted(v) for k, v in sorted(version.effective_by_scheme.items())}
    if version.effective_to is not None:
        body["effective_to"] = _Quoted(version.effective_to)
    references = [reference_body(r) for r in version.references]
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
