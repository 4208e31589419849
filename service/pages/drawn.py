"""Parts of the pages drawn once per parameter snapshot and kept in the tier cache (issue 20).

Why: drawing the whole 测算 page with Jinja on every request held it at 0.09-0.12 of ``/healthz`` against
issue 20's 0.25 (docs/benchmarks.md, "Issue 20"), and most of a page is the same for every question about
the same region and month. Each part is drawn by the template macro the page calls, for a frozen key that
holds everything the part depends on besides the snapshot; ``Caches.drawn`` keeps the text beside the
tier tables of that snapshot, so a publication starts it afresh and ``TIERS_CACHE_SIZE=0`` draws every
part every time. tests/sweep/test_drawn.py checks each part against the macro drawn afresh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import current_app, get_template_attribute
from markupsafe import Markup, escape

from rates import protection
from rates.families import TRUST_LABELS
from rates.months import Month
from rates.store import Snapshot
from service.answer.answers import TierRequest, caches
from service.answer.present import DECLARED_LABEL, PROVISIONAL_LABEL, percent
from service.core.codec import encode, encode_part
from service.core.display import used_for
from service.pages.region_picker import region_groups


@dataclass(frozen=True)
class RegionOptions:
    """The region list of a form, ``selected`` marked."""

    selected: str


@dataclass(frozen=True)
class MedicalNeeds:
    """The medical block's rule shapes by region and month (``calc_form.medical_needs``), for ``month``."""

    month: Month


@dataclass(frozen=True)
class MedicalConfigured:
    """The regions that price flexible-worker medical insurance in ``month`` (``calc_form.medical_configured``)."""

    month: Month


@dataclass(frozen=True)
class TierOptions:
    """A tier list of the form: the tiers ``scheme`` offers in the region and month."""

    region: str
    scheme: str
    month: Month


@dataclass(frozen=True)
class SourceItem:
    """One entry of a 依据 list: a version as an answer cites it in a region (provisional, and on whose word)."""

    region: str
    version: int
    provisional: bool | None
    declared_by: str  # the declaration the answer cites, as JSON ("null": none)


@dataclass(frozen=True)
class TierSection:
    """The 各档次对比 section of a tier table: what it keeps is the key of its drawing (``TierDrawing``)."""

    request: TierRequest


@dataclass(frozen=True)
class MedicalHint:
    """The medical block's hint for a region ("": one the snapshot does not know) in a month."""

    region: str
    month: Month


@dataclass(frozen=True)
class InjuryBox:
    """The 职业伤害保障 section of a region in a month (``rates.protection.answer``, from the bundled notices)."""

    region: str
    month: Month


LABELS = dict(provisional_label=PROVISIONAL_LABEL, declared_label=DECLARED_LABEL, trust_labels=TRUST_LABELS)
_CUT = "\x00"  # where the rows go in the drawn frame; no escaped text of the parameters holds a NUL
_ROWS = Markup(_CUT)  # noqa: S704  # a constant of ours


def kept(snap: Snapshot, part: Hashable, draw: Callable[[], str]) -> Markup:
    """``draw()`` for this snapshot, drawn once while the tier cache holds it."""
    return Markup(caches().drawn(snap, part, lambda: str(draw())))  # noqa: S704  # a template's own output


def region_options(snap: Snapshot, selected: str) -> Markup:
    """Every region grouped by province as ``pages/_region.html`` draws them, ``selected`` marked."""
    return kept(
        snap,
        RegionOptions(selected),
        lambda: get_template_attribute("pages/_region.html", "region_options")(region_groups(snap), selected),
    )


def injury_box(snap: Snapshot, region: str, month: Month) -> Markup:
    """``pages/_injury_protection.html`` for ``region`` in ``month``: the same for every question asked there."""

    def draw() -> str:
        info = protection.answer(snap.regions, region, date(month.year, month.month, 1))
        return current_app.jinja_env.get_template("pages/_injury_protection.html").render(protection=info)

    return kept(snap, InjuryBox(region, month), draw)


Choices = Callable[[], list[dict[str, str]]]  # calc_form.offered_ratios of a region, scheme and month


def with_typed(choices: list[dict[str, str]], typed_ratio: str) -> list[dict[str, str]]:
    """``choices`` and what was typed, when it is not one of them: a page keeps what the user typed."""
    if typed_ratio and typed_ratio not in {c["value"] for c in choices}:
        try:  # written as the others are when it is a number
            label = percent(Decimal(typed_ratio))
        except ArithmeticError:
            label = typed_ratio
        return [*choices, {"value": typed_ratio, "label": label}]
    return choices


def tier_options(snap: Snapshot, asked: TierOptions, offered: Choices, typed: str) -> Markup:
    """The ``<option>`` list of ``pages/_tier_options.html`` for the tiers ``offered()`` and the one ``typed``
    (``calc_form.with_typed``), selected; each offered tier drawn once both ways."""
    macro = get_template_attribute("pages/_tier_options.html", "options")

    def draw() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        choices = offered()
        return (
            tuple(c["value"] for c in choices),
            tuple(str(macro([c], None)) for c in choices),
            tuple(str(macro([c], c["value"])) for c in choices),
        )

    # the values offered, kept beside each option drawn unselected and selected: a request compares its tier with
    # them and joins the drawings, with no set or generator made per request
    values, plain, selected = caches().drawn(snap, asked, draw)
    if typed not in values:
        extra = with_typed([], typed)  # a tier typed that is not offered: kept, as the template keeps it
        listed = "".join(plain)
        return Markup(listed + str(macro(extra, typed)) if extra else listed)  # noqa: S704  # the macro's output
    listed = list(plain)
    for index, value in enumerate(values):
        if value == typed:
            listed[index] = selected[index]
    return Markup("".join(listed))  # noqa: S704  # the macro's output


def sources(snap: Snapshot, region: str, references: list[dict[str, Any]], spans: dict[int, str] | None) -> Markup:
    """The 依据 list of ``pages/_macros.html`` for an answer's references, each entry drawn once per version and
    use; the months each version priced (``spans``) are this answer's own."""
    macros, items = current_app.jinja_env.get_template("pages/_macros.html").module, []
    for version in references:

        def draw(v: dict[str, Any] = version) -> tuple[str, ...]:
            drawn = tuple(str(macros.source_item(region, v, TRUST_LABELS, _ROWS)).split(_CUT))
            if len(drawn) != 2:
                raise ValueError("a version's text holds the character that marks where its months go")
            return drawn

        key = SourceItem(region, version["id"], version["provisional"], encode(version["declared_by"]).decode())
        before, after = caches().drawn(snap, key, draw)
        items.append(Markup(before + str(used_for(spans, version["id"])) + after))  # noqa: S704  # the macro's output
    return Markup(macros.sources(region, references, TRUST_LABELS, items=items))  # noqa: S704


def tier_section(
    snap: Snapshot, request: TierRequest, table: Callable[[], dict[str, Any]], chosen: str | None
) -> Markup:
    """``pages/_tiers.html``'s section of the tier table ``table()``, the row of the tier ``chosen`` marked.

    Drawn once per tier table: the frame around the rows, each row's body, and each row's opening both as
    chosen and not (the mark is all that differs); a request joins them. Tables alike but for their month
    share one drawing (``TierDrawing``), the month written in. ``section()`` drawn in one go with
    ``chart_rows`` and ``table_rows`` of the tier chosen gives the same text (tested). Kept as text
    (``Drawing``), joined as it is: kept as JSON, decoding it took a twentieth of a page's time.
    """
    month = str(request.month)
    if escape(month) != month:
        raise ValueError("a month is written as it is drawn")
    made: list[dict[str, Any]] = []  # the table, made at most once, only if a part must be drawn

    def made_table() -> dict[str, Any]:
        if not made:
            made.append(table())
        return made[0]

    # The drawing under the month's own key is the very key object of the drawing: the months that share a
    # drawing hold it once (each section kept whole held a page's worth of text per month: issue 20, memory).
    drawing_key = caches().drawn(snap, TierSection(request), lambda: _drawing_key(made_table()))
    drawing = caches().drawn(snap, drawing_key, lambda: _drawing(made_table()))
    marks = [ratio == chosen for ratio in drawing.ratios]
    head, middle, tail = drawing.frame
    chart = "".join(row[mark] + row[2] for row, mark in zip(drawing.chart, marks, strict=True))
    listed = "".join(row[mark] + row[2] for row, mark in zip(drawing.table, marks, strict=True))
    # the month only where the drawing marks it (the frame's text and, in some tables, the rows')
    return Markup((head + chart + middle + listed + tail).replace(_MONTH, month))  # noqa: S704  # the template's own output


@dataclass(frozen=True)
class TierDrawing:
    """A tier table's section drawn with its month left open: the table as JSON, its month taken out, by its
    BLAKE2b-256 digest.

    The months of a year mostly show the same rows (the same yearly amounts, and the same monthly ones until
    a new average wage applies), so their sections are one drawing with the month written in. Each month
    keeps this key (``TierSection``): the table itself as the key held 18 KB per month (issue 20, memory).
    Two different tables share a 256-bit digest with a chance far below any other fault of the machine.
    """

    digest: bytes


_MONTH = "\x01"  # where the month goes in a drawing
_MONTH_MARK = Markup(_MONTH)  # noqa: S704  # a constant of ours
_MONTH_JSON = encode_part(_MONTH)[1:-1]  # the mark as the kept JSON writes it


def _drawing_key(tiers: dict[str, Any]) -> TierDrawing:
    """The key of ``tiers``' drawing: the table without its month."""
    content = encode({**tiers, "month": None})
    if _MONTH_JSON in content:
        raise ValueError("a tier table's text holds the character that marks where its month goes")
    return TierDrawing(hashlib.blake2b(content, digest_size=32).digest())


Piece = tuple[str, str, str]  # a row: its opening, its opening marked as chosen, its body


@dataclass(frozen=True, slots=True)
class Drawing:
    """A tier section drawn with its month left open (``_MONTH``): the frame around the rows (head, middle between
    the chart and the table, tail), the tier of each row, and the rows of the chart and of the table."""

    frame: tuple[str, str, str]
    ratios: tuple[str, ...]
    chart: tuple[Piece, ...]
    table: tuple[Piece, ...]


def _drawing(tiers: dict[str, Any]) -> Drawing:
    macros = current_app.jinja_env.get_template("pages/_tiers.html").module
    frame = str(macros.section({**tiers, "month": _MONTH_MARK}, LABELS, _ROWS, _ROWS)).split(_CUT)
    if len(frame) != 3:
        raise ValueError("a tier table's text holds the character that marks where its rows go")
    head, middle, tail = frame
    rows, chart_box = tiers["rows"], tiers["chart"]
    chart = _pieces(
        macros.chart_rows(rows, chart_box, None, _ROWS), macros.chart_rows(rows, chart_box, None, _ROWS, True)
    )
    listed = _pieces(macros.table_rows(rows, None, _ROWS), macros.table_rows(rows, None, _ROWS, True))
    return Drawing((head, middle, tail), tuple(t["ratio"] for t in rows), chart, listed)


def _pieces(plain: Markup, marked: Markup) -> tuple[Piece, ...]:
    """Each row as (its opening, its opening marked as chosen, its body), from the rows drawn plainly and with
    every opening marked (``every``: openings only), each opening and body cut apart."""
    if not str(plain):
        return ()  # a table without rows
    plain_parts, marked_parts = str(plain).split(_CUT), str(marked).split(_CUT)
    if len(plain_parts) % 2 or len(plain_parts) != len(marked_parts):
        raise ValueError("a tier table's text holds the character that marks where its rows are cut")
    return tuple((plain_parts[i], marked_parts[i], plain_parts[i + 1]) for i in range(0, len(plain_parts), 2))


# ---------------------------------------------------------------- the 测算 form


@dataclass(frozen=True)
class FormDrawing:
    """The 测算 form drawn with what was typed left open: the option each choice selects, and whether the pension
    details are open."""

    choices: tuple[tuple[Hole, str], ...]
    pension_open: bool


_OPEN, _CLOSE = "\x02", "\x03"  # around a hole's name in a drawing; no text of the form's templates holds either
Hole = tuple[str, str]  # a typed value: "values" (the form's) or "pension" (the pension fields'), and its name
Pieces = tuple[str | Hole, ...]  # a drawing: text, hole, text, ..., text (a hole of "form": one of its parts)


def _typed(context: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What fills the holes of a drawing: the typed values and the form's parts, by kind."""
    return {"values": context["values"], "pension": context["pension"]["values"], "form": context["form"]}


def calc_form(snap: Snapshot, context: dict[str, Any], choices: dict[Hole, frozenset[str]]) -> Markup:
    """``pages/_calc_form.html`` for ``context``.

    Where nothing is to fix and each field of ``choices`` holds one of its options, it is joined from a drawing of
    the form for those options (``FormDrawing``): drawn with a marked hole for each other typed value and each part
    of ``context["form"]`` (the region's parts, ``Markup``; its other entries are the same for every request), each
    value escaped into its hole as the template escapes it. The form and its pension
    fields were two fifths of the page's template time (issue 20, docs/benchmarks.md). tests/sweep/test_drawn.py
    checks it against the template drawn plainly, with hostile values typed.
    """
    template = current_app.jinja_env.get_template("pages/_calc_form.html")
    typed = _typed(context)
    selected = tuple((hole, typed[hole[0]].get(hole[1])) for hole in choices)
    if context["errors"] or context["pension"]["errors"] or any(value not in choices[h] for h, value in selected):
        return Markup(template.render(context))  # noqa: S704  # the template's own output
    key = FormDrawing(selected, bool(context["pension_open"]))
    pieces = caches().drawn(snap, key, lambda: _checked_drawing(template, context, key.choices))
    if not pieces:  # the template reads a typed value otherwise than by writing it: drawn plainly (logged)
        return Markup(template.render(context))  # noqa: S704  # the template's own output
    return _joined(pieces, context)


def _joined(pieces: Pieces, context: dict[str, Any]) -> Markup:
    typed, out = _typed(context), []
    for piece in pieces:
        out.append(piece if isinstance(piece, str) else str(escape(typed[piece[0]][piece[1]])))
    return Markup("".join(out))  # noqa: S704  # the template's own output, joined


def _checked_drawing(template: Any, context: dict[str, Any], chosen: tuple[tuple[Hole, str], ...]) -> Pieces:
    """The drawing, checked once against the template drawn plainly for the request that made it: a field the
    template compares or filters but ``FORM_CHOICES`` does not name would differ. Then () (always drawn plainly)."""
    pieces = _form_drawing(template, context, chosen)
    if str(_joined(pieces, context)) == template.render(context):
        return pieces
    current_app.logger.error(
        "测算表单：按选项绘制的表单与逐项绘制不一致，改为逐项绘制（须把比较的字段列入 FORM_CHOICES）"
    )
    return ()


def _form_drawing(template: Any, context: dict[str, Any], chosen: tuple[tuple[Hole, str], ...]) -> Pieces:
    """The form drawn with holes: each typed value but the choices (drawn as chosen), and each part of the form."""

    def holes(kind: str, names: Iterable[str]) -> dict[str, str]:
        return {name: f"{_OPEN}{kind}.{name}{_CLOSE}" for name in names}

    typed, form = _typed(context), context["form"]
    values = {kind: holes(kind, typed[kind]) for kind in ("values", "pension")}
    for (kind, name), value in chosen:
        values[kind][name] = value
    marked = {
        **context,
        "values": values["values"],
        "pension": {**context["pension"], "values": values["pension"]},
        "form": {**form, **holes("form", [name for name, part in form.items() if isinstance(part, Markup)])},
    }
    text = template.render(marked)
    first, *rest = text.split(_OPEN)
    if _CLOSE in first:
        raise ValueError("the form's text holds the character that closes a hole's name")
    pieces: list[str | Hole] = [first]
    for piece in rest:
        name, closed, after = piece.partition(_CLOSE)
        kind, _, field = name.partition(".")
        if not closed or _CLOSE in after or kind not in ("values", "pension", "form"):
            raise ValueError("the form's text holds the character that opens a hole's name")
        pieces += [(kind, field), after]
    return tuple(pieces)
