"""The calculation form of the 测算 and 窗口 pages: what was typed, read by the API's request schema, and
what the form offers for the region and month asked (tiers, the medical block's words), read from the
parameters of the snapshot each time: the form is plain Jinja (``templates/pages/_form.html``).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from flask import get_template_attribute
from markupsafe import Markup
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from calc.medical import SHAPES, basis
from calc.medical.pricing import ASK
from calc.medical.shapes import shapes_taking
from calc.quote import SCHEMES, QuoteRequest, tier_ratios
from calc.retirement import CATEGORIES
from rates.families import TRUST_LABELS
from rates.model import NATIONAL, Version
from rates.months import Month
from rates.store import NotConfigured, Snapshot
from service.answer.present import DECLARED_LABEL, PART_LABELS, PROVISIONAL_LABEL, percent
from service.api import schemas
from service.api.base import current_month
from service.core.errors import translate
from service.pages import drawn

TIERED = ("flexible_pension", "flexible_medical")  # the schemes whose base is chosen by tier
FORM_FIELDS = (
    "region",
    "scheme",
    "start",
    "end",
    "basis",
    "base_ratio",
    "base",
    "headcount",
    "factor",
    # medical insurance's own choice (issue 19): sent with the marker medical_form by the medical block
    "medical_form",
    "medical_basis",
    "medical_base_ratio",
    "medical_base",
    "medical_tier",
)
# The engine's choice fields as the medical block names them, to say a message next to the field typed.
MEDICAL_FIELDS = {"base": "medical_base", "base_ratio": "medical_base_ratio", "medical_tier": "medical_tier"}
HEADCOUNT_RE = re.compile(r"^[0-9]{1,7}$")
REQUEST_SCHEMA = schemas.CalculateRequestSchema()  # the API's input rules; a schema keeps no state between loads


def typed(form: MultiDict[str, str]) -> dict[str, str]:
    """What the user typed, trimmed and cut to a sane length, to put back into the form."""
    given = form.to_dict()  # a plain dict: a MultiDict raises (and catches) an error for every field absent
    values = dict({name: given.get(name, "").strip()[:40] for name in FORM_FIELDS})
    values["basis"] = "base" if values["basis"] == "base" else "ratio"
    values["medical_basis"] = "base" if values["medical_basis"] == "base" else "ratio"
    return values


def medical_shape(snap: Snapshot, region: str, month: Month) -> str | None:
    """The rule shape (``calc.medical.SHAPES``' name) of the region's medical insurance in ``month``; None where
    it is not configured."""
    if region not in snap.regions:
        return None
    try:
        return basis(snap.at(region, "flexible_medical", month))
    except NotConfigured:
        return None


def scheme_choice(
    snap: Snapshot, values: dict[str, str], scheme: str, main: bool
) -> tuple[dict[str, str], dict[str, str]]:
    """What one scheme of the form chose, by the API's names, and the form field each came from.

    Each scheme reads its own fields (issue 19): the pension its tier or base; medical insurance only what
    its city's rule takes (a base, a ratio tier, a yearly tier, or nothing), so that a default of another
    scheme is never sent to it. The scheme chosen above also reads the shared fields when the form sent
    no medical block (a link written before it, like the API's body: base_ratio, base, medical_tier).
    """
    if scheme == "flexible_medical" and (values["medical_form"] or not main):
        shape = medical_shape(snap, values["region"], form_month(values))
        # what the city's rule prices with (calc.medical.SHAPES); a rule taking both a ratio and a base reads
        # the one the worker picked with 医保缴费方式 (medical_basis)
        taken = [field for field, _ in SHAPES[shape].takes] if shape else []
        if "base_ratio" in taken and "base" in taken:
            taken = ["base"] if values["medical_basis"] == "base" else ["base_ratio"]
        wanted = {field: MEDICAL_FIELDS[field] for field in taken}
        chosen = {name: values[field] for name, field in wanted.items() if values[field]}
        # a select the form did not send counts as its first option, as a browser sends it
        if "base_ratio" in wanted and not chosen:
            first = medical_tier_choices(snap, values)
            if first:
                chosen["base_ratio"] = first[0]["value"]
        if "medical_tier" in wanted and not chosen:
            chosen["medical_tier"] = "1"
        return chosen, wanted
    if scheme not in TIERED:  # resident medical, the outlet: no tier, no base
        return {}, {}
    field = "base" if values["basis"] == "base" else "base_ratio"  # only the figure the user chose counts
    chosen = {field: values[field]} if values[field] else {}
    if scheme == "flexible_medical" and values["medical_tier"]:
        chosen["medical_tier"] = values["medical_tier"]
    return chosen, {field: field, "medical_tier": "medical_tier"}


def load_request(
    values: dict[str, str], snap: Snapshot, scheme: str | None = None, main: bool = True
) -> tuple[QuoteRequest | None, dict[str, str]]:
    """The form as the API's request for ``scheme`` (the one chosen above unless named), read by the API's
    request schema into the frozen request, or the Chinese message of each field to fix, by the form's own
    field names."""
    scheme = scheme or values["scheme"]
    raw: dict[str, Any] = {name: values[name] for name in ("region", "start", "end") if values[name]}
    if scheme:
        raw["scheme"] = scheme
    chosen, fields = scheme_choice(snap, values, scheme, main)
    for name, text in chosen.items():
        raw[name] = (int(text) if text in ("1", "2") else text) if name == "medical_tier" else text
    if main and values["factor"]:
        raw["factor"] = values["factor"]
    if not main:
        raw["headcount"] = 1
    elif values["headcount"]:
        # forms send text; the schema takes whole numbers only, as the API does for JSON
        raw["headcount"] = int(values["headcount"]) if HEADCOUNT_RE.match(values["headcount"]) else values["headcount"]
    try:
        return REQUEST_SCHEMA.load(raw), {}
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        return None, {
            fields.get(name, name): translate(str(texts[0] if isinstance(texts, list) else texts))
            for name, texts in messages.items()
        }


def form_field(values: dict[str, str], snap: Snapshot, scheme: str, main: bool, field: str) -> str:
    """The form field where an engine message about ``field`` of ``scheme`` is said (medical: its own fields)."""
    _, fields = scheme_choice(snap, values, scheme, main)
    if field in fields:
        return fields[field]
    figures = [typed for name, typed in fields.items() if name in ("base", "base_ratio")]
    if field in ("base", "base_ratio") and len(figures) == 1:  # said by the one figure the person chose to give
        return figures[0]
    if scheme == "flexible_medical" and (values["medical_form"] or not main) and field in MEDICAL_FIELDS:
        return MEDICAL_FIELDS[field]
    return field


def region_choices(snap: Snapshot) -> list[dict[str, str]]:
    choices = []
    for code, region in sorted(snap.regions.items()):
        if code == NATIONAL:
            continue
        parent = snap.regions.get(region.parent or "")
        prefix = f"{parent.name} · " if parent and parent.code != NATIONAL else ""
        choices.append({"value": code, "label": f"{prefix}{region.name}"})
    return choices


def form_month(values: dict[str, str]) -> Month:
    """The month the form's parts are about: the first month typed, or this month while it is not a month."""
    try:
        return Month.parse(values["start"])
    except ValueError:
        return current_month()


def medical_tier_choices(snap: Snapshot, values: dict[str, str]) -> list[dict[str, str]]:
    """The ratio tiers of the region's medical insurance, where its rule is a range of the average wage."""
    return ratio_choices(snap, values, "flexible_medical", "medical_base_ratio")


def ratio_choices(snap: Snapshot, values: dict[str, str], chosen: str, field: str) -> list[dict[str, str]]:
    """The tiers offered (``offered_ratios``) and the one typed, kept where it is not one of them."""
    return drawn.with_typed(offered_ratios(snap, values["region"], chosen, form_month(values)), values[field])


def offered_ratios(snap: Snapshot, region: str, chosen: str, month: Month) -> list[dict[str, str]]:
    """The tiers the scheme in force allows (60% … 300%), read from the parameters, never assumed.

    A scheme not configured in the region (medical in 南昌) offers the pension's tiers, so that the
    list stays a list: the answer then says the scheme is not configured, for every tier alike.
    """
    ratios: list[Decimal] = []
    for scheme in dict.fromkeys((chosen, "flexible_pension")):
        ratios = scheme_ratios(snap, region, scheme, month)
        if len(ratios) > 1 or scheme == "flexible_pension":  # a fixed ratio (成都 80%) is no choice
            break
    return [{"value": format(r.normalize(), "f"), "label": percent(r)} for r in ratios]


def scheme_ratios(snap: Snapshot, region: str, scheme: str, month: Month) -> list[Decimal]:
    for level in (region, NATIONAL):
        if level not in snap.regions:
            continue
        try:
            version = snap.at(level, scheme, month).version
        except NotConfigured:
            continue
        floor, ceiling = version.decimal("base_ratio_floor"), version.decimal("base_ratio_ceiling")
        if floor is not None and ceiling is not None:
            return tier_ratios(floor, ceiling)
        if (fixed := version.decimal("base_ratio")) is not None:  # a base fixed as one ratio of the average (成都 80%)
            return [fixed]
    return []


def medical_help(snap: Snapshot, values: dict[str, str]) -> dict[str, Any]:
    """What the medical block's hint says: what the chosen region needs in the month (``pages/_medical_help.html``)."""
    month = form_month(values)
    need = None
    if values["region"] in snap.regions:
        need = medical_shape(snap, values["region"], month) or "not_configured"
    return {
        "month": str(month),
        "need": need,
        "instruction": MEDICAL_INSTRUCTIONS.get(need or "", ""),
        "instructions": MEDICAL_INSTRUCTIONS,
        "region_name": snap.regions[values["region"]].name if values["region"] in snap.regions else "",
    }


def medical_hint(snap: Snapshot, values: dict[str, str]) -> Markup:
    """The medical block's hint (``pages/_medical_help.html``), drawn once per region and month."""
    month, region = form_month(values), values["region"]
    key = drawn.MedicalHint(region if region in snap.regions else "", month)
    return drawn.kept(
        snap, key, lambda: get_template_attribute("pages/_medical_help.html", "hint")(medical_help(snap, values))
    )


# The fields whose value selects one of the form's options (the form's, and the pension fields'), and those
# options: what the form's drawing is drawn for (service.pages.drawn.calc_form); any other value is drawn plainly.
FORM_CHOICES = {
    ("values", "scheme"): frozenset(SCHEMES),
    ("values", "basis"): frozenset({"ratio", "base"}),
    ("values", "medical_basis"): frozenset({"ratio", "base"}),
    ("values", "medical_tier"): frozenset({"", "1", "2"}),
    ("pension", "category"): frozenset(CATEGORIES),
}


def medical_configured(snap: Snapshot, month: Month) -> Markup:
    """The regions that price flexible-worker medical insurance in ``month``, as the medical block lists them."""
    return Markup(get_template_attribute("pages/_medical_help.html", "configured")(medical_regions(snap, month)))  # noqa: S704


def medical_held(snap: Snapshot) -> list[str]:
    """The regions (sorted) whose chain holds any flexible-worker medical version: elsewhere no month is configured,
    and asking the snapshot month by month (a refusal is not remembered) was most of the 测算 page's time."""
    levels = {v.region for v in snap.all_versions if v.family == "flexible_medical"}
    return [code for code in sorted(snap.regions) if not levels.isdisjoint(snap.chain(code))]


def medical_regions(snap: Snapshot, month: Month) -> list[str]:
    """The names of the regions where flexible-worker medical insurance is priced in ``month``."""
    configured = []
    for code in medical_held(snap):
        region = snap.regions[code]
        if code == NATIONAL:
            continue
        try:
            snap.at(code, "flexible_medical", month)
        except NotConfigured:
            continue
        configured.append(region.name)
    return configured


NOT_CONFIGURED_HERE = "所选地区和月份尚未配置该险种的参数，本服务不作估算：见下方说明和咨询方式。"

# what the form tells a worker of each kind of city to do: each shape's own instruction (calc.medical.SHAPES)
MEDICAL_INSTRUCTIONS = {name: shape.instruction for name, shape in SHAPES.items()} | {
    "not_configured": "尚未配置（没有可查证来源的数据）：" + ASK
}


# which of the medical block's fields each rule shape shows (data-need in pages/_medical.html), from the registry
MEDICAL_FORM_SHAPES = {
    "basis": " ".join(name for name, shape in SHAPES.items() if {"base", "base_ratio"} <= {f for f, _ in shape.takes}),
    "base_ratio": " ".join(shapes_taking("base_ratio")),
    "base": " ".join(shapes_taking("base")),
    "medical_tier": " ".join(shapes_taking("medical_tier")),
    "nothing": " ".join(name for name, shape in SHAPES.items() if not shape.takes),
}


def form_context(snap: Snapshot, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    """What ``pages/_form.html`` shows: what was typed, the messages about it, and what the parameters offer."""
    month = form_month(values)
    region = values["region"]
    configured = drawn.kept(snap, drawn.MedicalConfigured(month), lambda: medical_configured(snap, month))
    form = dict(
        regions=drawn.region_options(snap, region),
        tier_options=_ratio_options(snap, values, "flexible_pension", "base_ratio"),
        medical_tier_options=_ratio_options(snap, values, "flexible_medical", "medical_base_ratio"),
        medical_hint=medical_hint(snap, values),
        medical_configured=configured,
        medical_needs=drawn.kept(snap, drawn.MedicalNeeds(month), lambda: medical_needs(snap, month)),
        medical_shapes=MEDICAL_FORM_SHAPES,
    )
    return {"values": values, "errors": errors, "form": form, "schemes": SCHEMES}


def _ratio_options(snap: Snapshot, values: dict[str, str], scheme: str, field: str) -> Markup:
    """The options of a tier list (``ratio_choices``), each offered tier drawn once per region, scheme and month."""
    region, month = values["region"], form_month(values)
    offered = drawn.TierOptions(region, scheme, month)
    return drawn.tier_options(snap, offered, lambda: offered_ratios(snap, region, scheme, month), values[field])


def medical_needs(snap: Snapshot, month: Month) -> Markup:
    """The attribute that tells forms.js each region's medical rule shape by month (runs of months, first and
    last included; a month in none: not configured), so that a month typed on the page is answered too.

    The version in force in a region changes only where a medical version of its chain starts or ends: each
    region is asked once per stretch between those months, not once per month (the page asks on every request)."""
    versions = [v for v in snap.all_versions if v.family == "flexible_medical"]
    first = min((v.effective_from for v in versions), default=month)
    last = max([month, *(v.effective_to or v.effective_from for v in versions)])
    start, end = Month(first.year, 1), Month(last.year + 1, 12)
    needs: dict[str, list[list[str]]] = {}
    for code in medical_held(snap):
        runs: list[list[str]] = []
        for begin, stop in _stretches(versions, set(snap.chain(code)), start, end):
            shape = medical_shape(snap, code, begin)
            if shape is None:
                continue
            if runs and runs[-1][2] == shape and Month.parse(runs[-1][1]) + 1 == begin:
                runs[-1][1] = str(stop)
            else:
                runs.append([str(begin), str(stop), shape])
        if runs:
            needs[code] = runs
    return Markup('data-month="{}" data-needs="{}"').format(str(month), json.dumps(needs, separators=(",", ":")))


def _stretches(versions: list[Version], levels: set[str], start: Month, end: Month) -> list[tuple[Month, Month]]:
    """``start`` to ``end`` cut where a version of one of ``levels`` starts or ends: (first, last) months, from the
    first month any of them is in force (before it nothing is configured: no need to ask)."""
    own = [v for v in versions if v.region in levels]
    start = max(start, min((v.effective_from for v in own), default=start))
    edges = {start}
    for version in own:
        for edge in (version.effective_from, version.effective_to + 1 if version.effective_to else None):
            if edge is not None and start < edge <= end:
                edges.add(edge)
    cuts = sorted(edges)
    return list(zip(cuts, [*(cut + -1 for cut in cuts[1:]), end], strict=True))


def defaults() -> dict[str, str]:
    month = current_month()
    values = dict({name: "" for name in FORM_FIELDS})
    values.update(
        start=str(Month(month.year, 1)), end=str(Month(month.year, 12)), basis="ratio", scheme="flexible_pension"
    )
    return values


def common() -> dict[str, Any]:
    return {
        "part_labels": PART_LABELS,
        "provisional_label": PROVISIONAL_LABEL,
        "declared_label": DECLARED_LABEL,
        "trust_labels": TRUST_LABELS,
    }
