"""HTML drawn once and kept, with places that each request fills (what it typed, the tier it chose).

Drawing a part of a page that is the same for everyone (the form, the tier comparison of a region and
month, the list of every region) costs a page most of its time; only a few values differ between
requests. The template writes ``place(kind, value)`` where such a value goes; a ``Drawing`` keeps the
rendered text split at its places, and a request joins the pieces with each place filled.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping

from flask import Blueprint
from markupsafe import Markup, escape

from service.display import described, error_for

bp = Blueprint("places", __name__)

# Made afresh by each process, with a NUL that no escaped text contains: no data can imitate a place.
_PREFIX = f"\x00place-{secrets.token_hex(6)}"
_PLACE = re.compile(re.escape(_PREFIX) + r":([a-z-]+):([^\x00]*)\x00")

Fill = Callable[[str, str], str]  # (kind, value) -> the place's text


@bp.app_template_global("place")
def place(kind: str, value: str) -> Markup:
    """A place in a drawing that a request fills; the value escaped as the page writes it."""
    return Markup(f"{_PREFIX}:{kind}:{escape(value)}\x00")  # noqa: S704  # our own mark around escaped text


class SpanPlaces:
    """Passed as the ``spans`` of the sources list while it is drawn: each version's months become a place."""


SPAN_PLACES = SpanPlaces()


@bp.app_template_global("used_for")
def used_for(spans: Mapping[int, str] | SpanPlaces | None, version_id: int) -> Markup:
    """ "；用于 2025-01 至 2025-12": the months a version priced, or a place for them while drawing."""
    if isinstance(spans, SpanPlaces):
        return place("spans", str(version_id))
    text = spans.get(version_id) if spans else None
    return Markup("；用于 {}").format(text) if text else Markup("")


def spans_fill(spans: Mapping[int, str]) -> Fill:
    """How a drawn sources list's places are filled: each version's months in this answer."""
    return lambda kind, value: used_for(spans, int(value))


class Drawing:
    """A template's output split at its places: the texts between them, and each place's kind and value."""

    __slots__ = ("_otherwise", "_places", "_texts", "_where")

    def __init__(self, html: str):
        parts = _PLACE.split(html)
        self._texts = tuple(parts[0::3])
        self._places = tuple(zip(parts[1::3], parts[2::3], strict=True))
        where: dict[str, list[int]] = {}
        for index, (_, value) in enumerate(self._places):
            where.setdefault(value, []).append(index)
        self._where = {value: tuple(indexes) for value, indexes in where.items()}
        self._otherwise: dict[int, tuple[Mapping[str, tuple[str, str]], list[str]]] = {}

    def fill(self, text_for: Fill) -> Markup:
        """The drawing with every place filled by ``text_for(kind, value)``."""
        return self._join([text_for(kind, value) for kind, value in self._places])

    def mark(self, fills: Mapping[str, tuple[str, str]], asked: str | None) -> Markup:
        """Each place filled with its kind's first text where its value is ``asked``, the second elsewhere."""
        known = self._otherwise.get(id(fills))
        if known is None or known[0] is not fills:  # the fills kept beside: their id stays theirs
            known = self._otherwise[id(fills)] = (fills, [fills[kind][1] for kind, _ in self._places])
        filled = known[1].copy()
        for index in self._where.get(str(escape(asked)), ()) if asked is not None else ():
            filled[index] = fills[self._places[index][0]][0]
        return self._join(filled)

    def _join(self, filled: list[str]) -> Markup:
        out: list[str] = [""] * (2 * len(filled) + 1)
        out[0::2], out[1::2] = self._texts, filled  # the texts, and between them the places filled
        # a template's output, every value in it escaped by the template: safe to insert as it is
        return Markup("".join(out))  # noqa: S704


def _escaped(text: str) -> str:
    """``text`` as the page writes it: escaped as Jinja escapes, without the cost where nothing needs it."""
    if "<" in text or ">" in text or "&" in text or "'" in text or '"' in text:
        return str(escape(text))
    return text


def form_fill(values: Mapping[str, str], errors: Mapping[str, str], parts: Mapping[str, str]) -> Fill:
    """How a drawn form's places are filled from what the user typed and the messages about it.

    value:NAME             the typed value, escaped
    selected:NAME=OPTION   " selected" on the option typed (checked: the same for a radio button)
    described:NAME[+hint]  the field's aria attributes; error:NAME its message
    part:NAME              a piece of HTML the page made for this request (region options, tiers...)
    """

    def text_for(kind: str, value: str) -> str:
        if kind == "value":
            return _escaped(values.get(value, ""))
        if kind in ("selected", "checked"):
            name, _, option = value.partition("=")
            return f" {kind}" if str(escape(values.get(name, ""))) == option else ""  # the option as the page wrote it
        if kind == "described":
            name, _, hint = value.partition("+")
            return described(name, errors, hint=bool(hint))
        if kind == "error":
            return error_for(value, errors) if errors else ""
        if kind == "part":
            return parts.get(value, "")
        raise ValueError(f"unknown place {kind}")

    return text_for
