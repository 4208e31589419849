"""Held text (原文摘录, issue 25): the notice's verbatim sentence, kept with a version's reference.

官方原文 is a claim that the notice's own words were read. The service shows it only where it holds those
words: a reference with ``excerpt`` (the sentence, verbatim) and ``excerpt_url`` (the page it was read on,
http or https). A sentence vouches for figures: each figure of the version should appear in it, or whoever
attached it says why not (``excerpt_note``). Pure and typed: the loader, the trust raise and the pages ask here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal
from urllib.parse import urlsplit

from rates.families import Family, Kind, trust_allowed
from rates.model import Reference

EXCERPT_LIMIT = 2000  # characters: a sentence or a short paragraph of a notice, never a whole document
URL_LIMIT = 500
# Hosts of government sites: 政府网站 (gov.cn and its subdomains). Recorded, not required: a notice may be
# read on a reprint (a tax information site), and the reviewer sees which it was.
GOVERNMENT_HOST = re.compile(r"(^|\.)gov\.cn$")


def held(references: Sequence[Reference]) -> bool:
    """Whether any reference holds the notice's verbatim text with the page it was read on."""
    return any(r.excerpt and r.excerpt_url for r in references)


def http_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) address with a host (what a reader can open)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in url.strip())


def government_site(url: str | None) -> bool:
    """Whether the page is on a government site (gov.cn): shown to the reviewer, never required."""
    if not url:
        return False
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return False
    return bool(GOVERNMENT_HOST.search(host.lower()))


def _plain(text: str) -> str:
    """Full-width digits and signs as ASCII; thousands separators between digits dropped (21,772 -> 21772)."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def _written(value: Decimal, kind: Kind) -> list[str]:
    """How a notice may write ``value``: the number itself, and a ratio also as a percentage."""
    number = format(value.normalize(), "f")
    forms = [re.escape(number) + r"(?:\.0+)?"]
    if kind is Kind.RATIO:
        percent = format((value * 100).normalize(), "f")
        forms.append(re.escape(percent) + r"(?:\.0+)?\s*%")
    return forms


def appears(value: Decimal, kind: Kind, text: str) -> bool:
    """Whether the figure is written in ``text`` as a whole number (not as part of a longer one)."""
    plain = _plain(text)
    return any(re.search(rf"(?<![\d.]){form}(?!\d|\.\d)", plain) for form in _written(value, kind))


def missing_figures(family: Family, values: Mapping[str, Decimal | str], text: str) -> list[str]:
    """The labels of the version's figures (money, ratios, counts) that the sentence does not contain."""
    missing = []
    for spec in family.fields:
        value = values.get(spec.name)
        figure = spec.kind in (Kind.MONEY, Kind.RATIO, Kind.COUNT) and isinstance(value, Decimal)
        if figure and isinstance(value, Decimal) and not appears(value, spec.kind, text):
            missing.append(f"{spec.label}（{format(value.normalize(), 'f')}）")
    return missing


def allowed(trust: str, references: Sequence[Reference]) -> str:
    """The trust these references let a version claim (``rates.families.trust_allowed`` on held text)."""
    return trust_allowed(trust, [r.source for r in references], held=held(references))
