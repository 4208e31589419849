"""HTML drawn once and kept, with places that each request fills (the tier it chose, the region it is in).

Drawing a part of a page that is the same for everyone (the tier comparison of a region and month,
the list of every region) costs a page most of its time; only a mark on one item differs between
requests. The template writes ``place(kind, value)`` where that mark goes; ``split`` keeps the drawing
as pieces, and ``fill`` joins them with each place filled for the request at hand.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping

from flask import Blueprint
from markupsafe import Markup, escape

bp = Blueprint("places", __name__)

# Made afresh by each process, with a NUL that no escaped text contains: no data can imitate a place.
_PREFIX = f"\x00place-{secrets.token_hex(6)}"
_PLACE = re.compile(re.escape(_PREFIX) + r":([a-z-]+):([^\x00]*)\x00")

Pieces = tuple[str, ...]  # text, kind, value, text, kind, value, ..., text
Fills = Mapping[str, tuple[str, str]]  # kind -> (the place's text where the value is the one asked, elsewhere)


@bp.app_template_global("place")
def place(kind: str, value: str) -> Markup:
    """A place in a drawing that a request fills (see ``fill``); the value escaped as the page writes it."""
    return Markup(f"{_PREFIX}:{kind}:{escape(value)}\x00")  # noqa: S704  # our own mark around escaped text


def split(html: str) -> Pieces:
    return tuple(_PLACE.split(html))


def fill(pieces: Pieces, fills: Fills, asked: str | None) -> Markup:
    """The drawing with each place filled: the first text of its kind where its value is ``asked``."""
    marked = str(escape(asked)) if asked is not None else None
    out = [pieces[0]]
    for index in range(1, len(pieces), 3):
        when_asked, otherwise = fills[pieces[index]]
        out.append(when_asked if pieces[index + 1] == marked else otherwise)
        out.append(pieces[index + 2])
    # a template's output, every value in it escaped by the template: safe to insert as it is
    return Markup("".join(out))  # noqa: S704
