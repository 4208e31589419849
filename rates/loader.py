"""Read and validate the bundled parameter files.

Layout: ``<root>/regions.yaml`` and ``<root>/<region code>/<family>.yaml``. Each family file holds
``values``: a mapping from the month a version takes effect (``"YYYY-MM"``, ascending) to that
version's figures, written as strings so that they stay exact, with its reference and trust level.
Every problem is reported with the file and the key, and nothing is loaded while any remains.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from calc.medical.shapes import ORIGINAL, SHAPES
from rates import excerpts
from rates.families import FAMILIES, TRUST_LEVELS, Family, Field, Kind, trust_allowed
from rates.model import EXCERPT_KEYS, Reference, Region, Version
from rates.months import Month
from rates.tables import TableError, parse_table, read_table, table_text

BUNDLED = Path(__file__).parent / "params"

TOP_KEYS = {"values", "superseded"}
META_KEYS = {"reference", "trust", "note", "contribution_year", "effective_by_scheme", "effective_to"}
REFERENCE_KEYS = {"title", "doc_no", "url", "published", "source", "fields", "carries_over", *EXCERPT_KEYS}
SCHEMES_WITH_BASE = ("flexible_pension", "flexible_medical", "outlet_injury")


class ParameterFileError(ValueError):
    """One or more parameter files are broken; ``problems`` lists (file, key, message)."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems
        lines = [f"{file}: {key}: {message}" for file, key, message in problems]
        super().__init__("invalid parameter files:\n" + "\n".join(lines))


class _Problem(Exception):
    def __init__(self, key: str, message: str):
        self.key, self.message = key, message


class AliasRefused(yaml.composer.ComposerError):
    """A YAML anchor (``&a``) or alias (``*a``): no parameter file uses them, and a few hundred bytes of
    aliases of aliases ("billion laughs") expand into gigabytes once the document is walked."""

    MESSAGE = "使用了 YAML 锚点或别名（& 或 *），参数文件不用这种写法：请把内容直接写出后重新上传"

    def __init__(self, mark: yaml.Mark | None):
        super().__init__(None, None, self.MESSAGE, mark)


def refuse_alias(event: yaml.Event) -> None:
    """Raise ``AliasRefused`` for an alias, or for a node that sets an anchor (an alias may follow it)."""
    if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
        mark = event.start_mark  # the pure-Python loader's mark (the C loader has its own type)
        raise AliasRefused(mark if isinstance(mark, yaml.Mark) else None)


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys (PyYAML silently keeps the last one) and anchors and
    aliases (refused while composing, before any node is shared or anything is built)."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        refuse_alias(self.peek_event())
        return super().compose_node(parent, index)


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if key in mapping:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass


def parse_decimal(key: str, raw: Any) -> Decimal:
    if not isinstance(raw, str):
        raise _Problem(key, f"write the number as a quoted string (got {type(raw).__name__} {raw!r})")
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise _Problem(key, f"not a decimal number: {raw!r}") from None
    if not value.is_finite():
        raise _Problem(key, f"not a finite number: {raw!r}")
    return value


def parse_value(key: str, spec: Field, raw: Any) -> Decimal | str:
    if spec.kind is Kind.CHOICE:
        if raw not in spec.choices:
            raise _Problem(key, f"must be one of {', '.join(spec.choices)} (got {raw!r})")
        return str(raw)
    if spec.kind is Kind.TABLE:
        return _parse_table_value(key, spec, raw)
    value = parse_decimal(key, raw)
    if spec.kind is Kind.COUNT and value != value.to_integral_value():
        raise _Problem(key, f"must be a whole number (got {raw})")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # a finite number (parse_decimal refuses NaN and infinities)
    if spec.kind is Kind.MONEY and (value < 0 or exponent < -2):
        raise _Problem(key, f"money must be >= 0 with at most two decimals (got {raw})")
    if (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high):
        raise _Problem(key, f"ratio out of range [{spec.low}, {spec.high}]: {raw}")
    return value


def _parse_table_value(key: str, spec: Field, raw: Any) -> str:
    """A table field: every key of the expected form, every value a number within the field's bounds."""
    try:
        table = parse_table(raw, spec.key_pattern)
    except TableError as error:
        raise _Problem(key, f"table: {error}") from None
    for entry, value in table.items():
        if (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high):
            raise _Problem(key, f"table: value of {entry!r} out of range [{spec.low}, {spec.high}]: {value}")
    return table_text(table)


def parse_month(key: str, raw: Any) -> Month:
    try:
        return Month.parse(raw)
    except ValueError:
        raise _Problem(key, f"not a YYYY-MM month: {raw!r}") from None


def parse_date(key: str, raw: Any) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise _Problem(key, f"not a YYYY-MM-DD date: {raw!r}") from None


def parse_references(key: str, raw: Any, family: Family) -> tuple[Reference, ...]:
    if raw is None:
        raise _Problem(key, "a reference (title, 文号 where known) is required")
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise _Problem(key, "a reference (title, 文号 where known) is required")
    references = []
    for i, item in enumerate(items):
        where = f"{key}[{i}]" if isinstance(raw, list) else key
        if not isinstance(item, dict):
            raise _Problem(where, "must be a mapping with at least a title")
        unknown = set(item) - REFERENCE_KEYS
        if unknown:
            raise _Problem(f"{where}.{sorted(unknown)[0]}", "unknown key")
        title = item.get("title")
        if not isinstance(title, str) or not title.strip():
            raise _Problem(f"{where}.title", "a reference needs a title")
        fields = tuple(item.get("fields") or ())
        for name in fields:
            if family.field(name) is None:
                raise _Problem(f"{where}.fields", f"{name!r} is not a field of {family.name}")
        published, carries_over = item.get("published"), item.get("carries_over")
        if carries_over is not None and not family.yearly:
            raise _Problem(f"{where}.carries_over", f"{family.name} is not yearly: nothing to carry over")
        references.append(
            Reference(
                title=title.strip(),
                doc_no=_optional_text(f"{where}.doc_no", item.get("doc_no")),
                url=_optional_text(f"{where}.url", item.get("url")),
                published=parse_date(f"{where}.published", published) if published else None,
                source=_optional_text(f"{where}.source", item.get("source")),
                fields=fields,
                carries_over=parse_month(f"{where}.carries_over", carries_over) if carries_over is not None else None,
                **_excerpt(where, item),
            )
        )
    return tuple(references)


def _excerpt(where: str, item: dict[str, Any]) -> dict[str, str | None]:
    """The held text of a reference (rates.excerpts): the sentence with an http(s) page, or neither."""
    held = {name: _optional_text(f"{where}.{name}", item.get(name)) for name in EXCERPT_KEYS}
    text, url = held["excerpt"], held["excerpt_url"]
    if (text is None) != (url is None):
        raise _Problem(
            f"{where}.{'excerpt_url' if url is None else 'excerpt'}", "an excerpt needs its url and a url its excerpt"
        )
    if url is not None and (len(url) > excerpts.URL_LIMIT or not excerpts.http_url(url)):
        raise _Problem(f"{where}.excerpt_url", f"the excerpt's url must be an http(s) address: {url}")
    if text is not None and len(text) > excerpts.EXCERPT_LIMIT:
        raise _Problem(f"{where}.excerpt", f"an excerpt is a sentence, at most {excerpts.EXCERPT_LIMIT} characters")
    if text is None and any(held[name] for name in ("excerpt_note", "excerpt_by", "excerpt_at")):
        raise _Problem(f"{where}.excerpt", "an excerpt's note, author or time without the excerpt")
    return held


def _optional_text(key: str, raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise _Problem(key, f"must be text (got {raw!r})")
    return raw.strip() or None


def parse_version(region: str, family: Family, month_key: Any, body: Any, origin: str | None = None) -> Version:
    """Validate one version (one dated entry under ``values``); raises _Problem."""
    effective = parse_month(month_key, month_key)
    if not isinstance(body, dict):
        raise _Problem(month_key, "each version must be a mapping of values")
    allowed = {f.name for f in family.fields} | META_KEYS
    for key in body:
        if key not in allowed:
            raise _Problem(f"{month_key}.{key}", f"unknown key for family {family.name}")
    values: dict[str, Decimal | str] = {}
    for spec in family.fields:
        key = f"{month_key}.{spec.name}"
        if body.get(spec.name) is None:
            if spec.required:
                raise _Problem(key, "missing value")
            continue
        values[spec.name] = parse_value(key, spec, body[spec.name])
    _check_coherence(month_key, values, wage=family.field("avg_wage_monthly") is not None)
    if family.name == "flexible_medical":
        _check_medical(month_key, values)
    if family.name == "outlet_injury":
        _check_outlet(month_key, values)
    if family.name == "pension_benefit_rules":
        _check_transitional(month_key, values)

    trust = body.get("trust")
    if trust not in TRUST_LEVELS:
        raise _Problem(f"{month_key}.trust", f"must be one of {', '.join(TRUST_LEVELS)}")
    year = body.get("contribution_year")
    if family.yearly:
        if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 9999:
            raise _Problem(f"{month_key}.contribution_year", "a yearly family needs the year (e.g. 2025)")
    elif year is not None:
        raise _Problem(f"{month_key}.contribution_year", f"{family.name} is not yearly")
    switches = body.get("effective_by_scheme") or {}
    if not isinstance(switches, dict):
        raise _Problem(f"{month_key}.effective_by_scheme", "must map a scheme to a month")
    by_scheme = {}
    for scheme, raw_month in switches.items():
        key = f"{month_key}.effective_by_scheme.{scheme}"
        if scheme not in SCHEMES_WITH_BASE:
            raise _Problem(key, f"unknown scheme (one of {', '.join(SCHEMES_WITH_BASE)})")
        by_scheme[scheme] = parse_month(key, raw_month)
        if by_scheme[scheme] < effective:
            raise _Problem(key, "a scheme cannot switch before the version takes effect")
    effective_to = None
    if body.get("effective_to") is not None:
        effective_to = parse_month(f"{month_key}.effective_to", body["effective_to"])
        if effective_to < effective:
            raise _Problem(f"{month_key}.effective_to", "a version cannot end before it takes effect")
    references = parse_references(f"{month_key}.reference", body.get("reference"), family)
    allowed_trust = trust_allowed(trust, [r.source for r in references], held=True)
    if allowed_trust != trust:
        raise _Problem(
            f"{month_key}.trust",
            f"{trust} claims more than the source line says (a compilation quoting the notice, 转引/汇编): "
            f"at most {allowed_trust}",
        )
    if trust == "official" and not excerpts.held(references):
        raise _Problem(f"{month_key}.trust", "official needs the notice's verbatim text held (excerpt and excerpt_url)")
    for reference in references:
        missing = excerpts.missing_figures(family, values, reference.excerpt or "") if reference.excerpt else []
        if missing and not reference.excerpt_note:
            raise _Problem(
                f"{month_key}.reference.excerpt",
                f"the excerpt does not contain {'、'.join(missing)}: say why in excerpt_note",
            )
    return Version(
        region=region,
        family=family.name,
        effective_from=effective,
        effective_to=effective_to,
        values=values,
        references=references,
        trust=trust,
        note=_optional_text(f"{month_key}.note", body.get("note")),
        contribution_year=year if family.yearly else None,
        effective_by_scheme=by_scheme,
        origin=origin,
    )


TRANSITIONAL_FIELDS = ("transitional_rate", "transitional_wage", "transitional_years")


def _check_transitional(month_key: str, values: dict[str, Decimal | str]) -> None:
    """过渡性养老金 is held whole or not at all: its rate, the wage it multiplies and the years it counts."""
    given = [name for name in TRANSITIONAL_FIELDS if name in values]
    if given and len(given) != len(TRANSITIONAL_FIELDS):
        missing = [name for name in TRANSITIONAL_FIELDS if name not in values]
        raise _Problem(f"{month_key}.{missing[0]}", "过渡性养老金 needs its rate, wage and years together")
    if "transitional_phase_in" in values and not given:
        raise _Problem(f"{month_key}.transitional_phase_in", "a phase-in without the 过渡性养老金 it applies to")


def _check_coherence(month_key: str, values: dict[str, Decimal | str], wage: bool = False) -> None:
    def get(name: str) -> Decimal | None:
        value = values.get(name)
        return value if isinstance(value, Decimal) else None

    low, high = get("base_ratio_floor"), get("base_ratio_ceiling")
    if low is not None and high is not None and low > high:
        raise _Problem(f"{month_key}.base_ratio_floor", "floor ratio above ceiling ratio")
    rate, personal = get("rate"), get("personal_account_rate")
    if rate is not None and personal is not None and personal > rate:
        raise _Problem(f"{month_key}.personal_account_rate", "personal account share above the rate")
    avg, floor, ceiling = get("avg_wage_monthly"), get("base_floor_monthly"), get("base_ceiling_monthly")
    if wage:
        _check_wage(month_key, avg, floor, ceiling)


def _check_wage(month_key: str, avg: Decimal | None, floor: Decimal | None, ceiling: Decimal | None) -> None:
    if avg is None and (floor is None or ceiling is None):
        raise _Problem(
            f"{month_key}.avg_wage_monthly",
            "missing value: without the average wage both the published floor and ceiling are needed",
        )
    if avg is not None and floor is not None and floor > avg:
        raise _Problem(f"{month_key}.base_floor_monthly", "floor above the average wage")
    if avg is not None and ceiling is not None and ceiling < avg:
        raise _Problem(f"{month_key}.base_ceiling_monthly", "ceiling below the average wage")


def _check_medical(month_key: str, values: dict[str, Decimal | str]) -> None:
    """Each basis of flexible_medical needs its own fields; the original shape keeps needing its own."""
    basis = str(values.get("basis", ORIGINAL))
    needs = SHAPES[basis].needs + (("personal_account_rate",) if "basis" not in values else ())
    for name in needs:
        if name not in values:
            raise _Problem(f"{month_key}.{name}", f"missing value (needed when basis is {basis})")
    floor, ceiling = values.get("base_floor_monthly"), values.get("base_ceiling_monthly")
    if isinstance(floor, Decimal) and isinstance(ceiling, Decimal) and floor > ceiling:
        raise _Problem(f"{month_key}.base_floor_monthly", "floor above ceiling")


def _check_outlet(month_key: str, values: dict[str, Decimal | str]) -> None:
    """An outlet version's floats: a set (each key the percent its factor is) or a range, never both."""
    floats, low, high = values.get("floats"), values.get("float_low"), values.get("float_high")
    if floats is not None and (low is not None or high is not None):
        raise _Problem(f"{month_key}.floats", "give either the allowed floats or a float range, not both")
    if (low is None) != (high is None):
        raise _Problem(f"{month_key}.float_low", "a float range needs both float_low and float_high")
    if isinstance(low, Decimal) and isinstance(high, Decimal) and low > high:
        raise _Problem(f"{month_key}.float_low", "float_low above float_high")
    if isinstance(floats, str):
        for key, factor in read_table(floats).items():
            if factor * 100 != Decimal(key):
                raise _Problem(
                    f"{month_key}.floats", f"the factor of {key}% must be {Decimal(key) / 100} (got {factor})"
                )


def parse_family_document(region: str, family: Family, document: Any, origin: str | None = None) -> list[Version]:
    """Validate a whole family file's content (the versions in force); raises _Problem on the first fault."""
    if not isinstance(document, dict):
        raise _Problem("(file)", "must be a mapping with a 'values' key")
    for key in document:
        if key not in TOP_KEYS:
            raise _Problem(str(key), "unknown key (a family file holds only 'values' and 'superseded')")
    entries = document.get("values")
    if not isinstance(entries, dict) or not entries:
        raise _Problem("values", "must map at least one YYYY-MM month to a version")
    versions: list[Version] = []
    for month_key, body in entries.items():
        if not isinstance(month_key, str):
            raise _Problem(str(month_key), 'write the month as a quoted "YYYY-MM" string')
        version = parse_version(region, family, month_key, body, origin)
        if versions and version.effective_from <= versions[-1].effective_from:
            raise _Problem(month_key, f"months must be in ascending order (after {versions[-1].effective_from})")
        # a yearly family's versions all have their year (parse_version requires it)
        if family.yearly and versions and (version.contribution_year or 0) <= (versions[-1].contribution_year or 0):
            raise _Problem(f"{month_key}.contribution_year", "contribution years must ascend")
        versions.append(version)
    return versions


def parse_superseded(region: str, family: Family, document: Any, origin: str | None = None) -> list[Version]:
    """The earlier records a bundled file keeps under ``superseded``, each before its correction.

    ``superseded`` maps a month of ``values`` to the records that were in force for that month before
    the entry under ``values`` corrected them, oldest first. ``load_tree`` returns them just before the
    version in force for that month, so that a store loading the tree records each one and then its
    correction (``ParameterStore.load``): a bundled tree carries history the way the store keeps it.
    """
    raw = document.get("superseded") if isinstance(document, dict) else None
    if raw is None:
        return []
    if not isinstance(raw, dict) or not raw:
        raise _Problem("superseded", "must map a month of 'values' to a list of earlier records")
    months = {str(key) for key in document.get("values") or {}}
    earlier: list[Version] = []
    for month_key, items in raw.items():
        key = f"superseded.{month_key}"
        if not isinstance(month_key, str) or month_key not in months:
            raise _Problem(key, "a superseded record needs its correction under 'values' (the same month)")
        if not isinstance(items, list) or not items:
            raise _Problem(key, "must be a list of earlier records, oldest first")
        for i, body in enumerate(items):
            try:
                earlier.append(parse_version(region, family, month_key, body, origin))
            except _Problem as problem:
                inner = problem.key.removeprefix(month_key).lstrip(".")
                raise _Problem(f"{key}[{i}].{inner}", problem.message) from None
    return earlier


def with_superseded(versions: list[Version], earlier: list[Version]) -> list[Version]:
    """``versions`` with each earlier record placed just before the version in force for its month."""
    ordered: list[Version] = []
    for version in versions:
        ordered += [e for e in earlier if e.effective_from == version.effective_from]
        ordered.append(version)
    return ordered


def load_regions(root: Path) -> dict[str, Region]:
    path = root / "regions.yaml"
    document = read_yaml(path)
    regions: dict[str, Region] = {}
    if not isinstance(document, dict):
        raise ParameterFileError([(str(path), "(file)", "must map region codes to name and parent")])
    for code, body in document.items():
        if not (isinstance(code, str) and len(code) == 6 and code.isdigit()):
            raise ParameterFileError([(str(path), str(code), "a region code is six digits, quoted")])
        if not isinstance(body, dict) or set(body) != {"name", "parent"}:
            raise ParameterFileError([(str(path), code, "needs exactly name and parent")])
        regions[code] = Region(code, str(body["name"]), body["parent"])
    for region in regions.values():
        if region.parent is not None and region.parent not in regions:
            raise ParameterFileError([(str(path), region.code, f"unknown parent {region.parent}")])
    return regions


def load_tree(root: Path = BUNDLED) -> tuple[dict[str, Region], list[Version]]:
    """Load every file under root; raise ParameterFileError listing every broken file and key."""
    try:
        regions = load_regions(root)
    except (yaml.YAMLError, OSError) as error:
        raise ParameterFileError([(str(root / "regions.yaml"), "(file)", str(error))]) from None
    problems: list[tuple[str, str, str]] = []
    versions: list[Version] = []
    for path in sorted(root.rglob("*")):
        if path.is_dir() or path.name == "regions.yaml":
            continue
        relative = path.relative_to(root)
        try:
            region, family = _placement(relative, regions)
            origin = f"rates/params/{relative.as_posix()}"
            document = read_yaml(path)
            in_force = parse_family_document(region, family, document, origin)
            versions.extend(with_superseded(in_force, parse_superseded(region, family, document, origin)))
        except _Problem as problem:
            problems.append((str(path), problem.key, problem.message))
        except yaml.YAMLError as error:
            problems.append((str(path), "(file)", f"not valid YAML: {error}"))
        except UnicodeDecodeError:
            problems.append((str(path), "(file)", "not UTF-8 text"))
    if problems:
        raise ParameterFileError(problems)
    return regions, versions


def _placement(relative: Path, regions: dict[str, Region]) -> tuple[str, Family]:
    parts = relative.parts
    if len(parts) != 2 or relative.suffix != ".yaml":
        raise _Problem("(path)", "a parameter file lives at <region code>/<family>.yaml")
    region, family_name = parts[0], relative.stem
    if region not in regions:
        raise _Problem("(path)", f"unknown region {region} (not in regions.yaml)")
    if family_name not in FAMILIES:
        raise _Problem("(path)", f"unknown family {family_name} (one of {', '.join(FAMILIES)})")
    return region, FAMILIES[family_name]
