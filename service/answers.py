"""Answers as the bytes the API sends, built without walking marshmallow on the hot path, and kept.

- ``quote_json``: a calculation's answer. The marshmallow schemas stay the contract: the answer is
  the schema's dump, compiled once into plain functions (``service.dumping``), and the references
  (the same few versions in every answer under one snapshot) are encoded once per snapshot.
  ``tests/test_answers.py`` checks many varied answers against ``service.present.quote_answer``,
  the schema's own dump.
- ``Answers``: the per-process cache of those answers. It keeps bytes, not object graphs: a full
  garbage collection walks every object alive, and thousands of remembered dicts of strings made
  each one last 100 ms; a bytes object is not even tracked by the collector.
- ``Tiers``: the tier table is data of a snapshot: priced once per (snapshot, region, scheme, month),
  for the API as its bytes. A publication makes a new snapshot, and each snapshot object has its own
  token in the keys (``snapshot_token``; not its revision number, which a preview shares), so a
  table is never stale.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import secrets
import threading
import weakref
from collections.abc import Callable, Hashable
from decimal import Decimal
from typing import Any

from cachetools import LRUCache

from calc.quote import Line, QuoteRequest, Tier, price, tiers
from rates.months import Month
from rates.store import Resolved, Snapshot
from service import schemas
from service.apibase import load_json
from service.dumping import compile_dump
from service.present import dumped_version, month_line, ordered, quote_data, tier_data, used_versions

_DUMP_QUOTE = compile_dump(schemas.QuoteSchema(exclude=("references", "months")))
_DUMP_LINE = compile_dump(schemas.LineSchema())
_DUMP_TIERS = compile_dump(schemas.TiersSchema())
# The references are the same few versions in every answer under a snapshot: encoded once, put in
# the place of this marker (made afresh by each process, so that no text a user or an administrator
# typed can contain it; it sits where "references" sorts, the keys being sorted as Flask sorts them).
_MARK = f"\x00references-{secrets.token_hex(8)}\x00"
_MARK_JSON = json.dumps(_MARK)
_MONTHS_MARK = f"\x00months-{secrets.token_hex(8)}\x00"  # the months, encoded apart (``_months_json``)
_MONTHS_MARK_JSON = json.dumps(_MONTHS_MARK)
_encoded: weakref.WeakKeyDictionary[Snapshot, dict[tuple[Hashable, ...], str]] = weakref.WeakKeyDictionary()
_encoded_lock = threading.Lock()


def encode(data: Any) -> str:
    """JSON as the app's provider writes it (Chinese readable, keys sorted)."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _references(snapshot: Snapshot, used: list[Resolved]) -> str:
    if not snapshot.keeps:  # KEEP_DERIVED=0: encoded afresh, as an answer no cache holds
        return encode([dumped_version(snapshot, r) for r in used])
    key = tuple((id(r.version), r.provisional, r.level, id(r.declared_by)) for r in used)
    with _encoded_lock:
        memo = _encoded.setdefault(snapshot, {})
    text = memo.get(key)
    if text is None:
        text = memo[key] = encode([dumped_version(snapshot, r) for r in used])
    return text


MAX_ENCODED_MONTHS = 16384  # lines kept encoded per snapshot: the figures asked are many


def _months_json(snapshot: Snapshot, lines: list[Line]) -> str:
    """The months as JSON text. Months priced alike (the engine gives them the very same values) are
    dumped and encoded once per snapshot, with each month's "YYYY-MM" (nothing to escape) put in its place."""
    encoded: dict[tuple[int, ...], tuple[object, ...]] = snapshot.kept(("encoded months",), dict)
    out = []
    last: Line | None = None
    before = after = ""
    for line in lines:
        if last is None or not _alike(line, last):
            # the engine's lines of a snapshot share their parts and versions with the line they copy; the
            # entry holds both, so that no other object can take their ids while it is kept
            key = (id(line.parts), id(line.versions), line.provisional, line.year)
            found = encoded.get(key)
            if found is None or found[0] is not line.parts or found[1] is not line.versions:
                if len(encoded) >= MAX_ENCODED_MONTHS:
                    encoded.clear()
                text = encode({**_DUMP_LINE(month_line(line)), "month": _MARK})
                found = encoded[key] = (line.parts, line.versions, *text.split(_MARK_JSON))
            before, after = found[2], found[3]  # type: ignore[assignment]
        out.append(f'{before}"{line.month}"{after}')
        last = line
    return "[" + ", ".join(out) + "]"


def _alike(line: Line, other: Line) -> bool:
    """The same values but the month (the usual case of the next month: one priced line copied)."""
    return (
        line.amount is other.amount
        and line.parts is other.parts
        and line.versions is other.versions
        and line.base is other.base
        and line.rate is other.rate
        and line.provisional is other.provisional
        and line.year is other.year
    )


def quote_json(snapshot: Snapshot, request: QuoteRequest) -> bytes:
    """The API's answer to a calculation: what ``present.quote_answer`` gives, encoded."""
    quote = price(snapshot, request)
    answer = _DUMP_QUOTE(quote_data(snapshot, quote, references=False, months=False))
    answer["months"], answer["references"] = _MONTHS_MARK, _MARK
    text = encode(answer)
    text = text.replace(_MONTHS_MARK_JSON, _months_json(snapshot, quote.lines), 1)
    text = text.replace(_MARK_JSON, _references(snapshot, ordered(quote.used)), 1)
    return (text + "\n").encode()


# The questions as people and the pages send them; anything else (numbers for figures, spaces,
# nulls, errors of any kind) goes through the request schema, which also words the errors.
_FIGURE = re.compile(r"[0-9]{1,10}(\.[0-9]{1,4})?")
_FIELDS = frozenset(("region", "scheme", "start", "end", "base_ratio", "base", "headcount", "factor", "medical_tier"))
_DECIMALS = {  # as the schema's DecimalText fields: (places, maximum)
    "base_ratio": (4, Decimal(10)),
    "base": (2, Decimal(10**9)),
    "factor": (4, Decimal(10)),
}


def fast_request(raw: bytes) -> QuoteRequest | None:
    """The request in a JSON body, if it is plainly valid for the request schema; None otherwise.

    Never more lenient than ``schemas.CalculateRequestSchema`` (``tests/test_answers.py`` checks
    random bodies against it): None sends the body through the schema, for the answer or the error.
    """
    try:
        # the API's one JSON reader: duplicate keys, lone surrogates and control characters refused
        body = load_json(raw)
    except (ValueError, RecursionError, UnicodeDecodeError):  # BodyRefused too: the view says why
        return None
    return fast_body(body)


def fast_body(body: Any) -> QuoteRequest | None:
    """The request a decoded body (or a page's form, typed as JSON would be) asks, if plainly valid; else None."""
    if type(body) is not dict or not body.keys() <= _FIELDS:
        return None
    region, scheme = body.get("region"), body.get("scheme")
    if type(region) is not str or type(scheme) is not str or len(region) > 12 or len(scheme) > 40:
        return None
    try:
        start, end = Month.parse(body["start"]), Month.parse(body["end"])
    except (KeyError, ValueError):
        return None
    if body["start"] != str(start) or body["end"] != str(end):
        return None  # spaces around the month: the schema's business
    figures: dict[str, Decimal] = {}
    for name, (places, maximum) in _DECIMALS.items():
        text = body.get(name)
        if text is None:
            continue
        if type(text) is not str or not _FIGURE.fullmatch(text):
            return None
        number = Decimal(text)
        if number > maximum or number.as_tuple().exponent < -places:  # type: ignore[operator]
            return None
        figures[name] = number
    headcount = body.get("headcount", 1)
    if type(headcount) is not int or not 1 <= headcount <= 100_000:
        return None
    if "factor" in body and "factor" not in figures:
        return None  # "factor": null is refused by the schema
    if "base" in figures and "base_ratio" in figures:
        return None
    medical_tier = body.get("medical_tier")
    if medical_tier is not None and (type(medical_tier) is not int or medical_tier not in (1, 2)):
        return None  # the schema's message (booleans too: JSON true is not a tier)
    return QuoteRequest(region, scheme, start, end, headcount=headcount, medical_tier=medical_tier, **figures)


class Data(dict[str, Any]):
    """An answer's object as the pages get it: a dict whose keys templates also read as attributes.

    Jinja reads ``line.amount`` by trying the attribute, then the key; on a plain dict every such read
    raised and caught an AttributeError, a good part of the 测算 page's time. The order stays Jinja's
    (a dict's own attributes such as ``items`` first), so templates read exactly what they read before.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


_tokens: weakref.WeakKeyDictionary[Snapshot, int] = weakref.WeakKeyDictionary()
_counter = itertools.count(1)


def snapshot_token(snapshot: Snapshot) -> int:
    """A number for this snapshot object that no other snapshot ever gets (unlike ``id()``).

    Keys made of it, strings, numbers and Decimals hold no object the garbage collector tracks
    (a snapshot in every key kept each key tuple tracked: thousands of them, walked by every full
    collection). A publication makes a new snapshot, so a new token: kept answers are never stale.
    """
    with _encoded_lock:
        token = _tokens.get(snapshot)
        if token is None:
            token = _tokens[snapshot] = next(_counter)
    return token


# Every field of the request, read from the dataclass: a key listing fields by hand forgot medical_tier
# (issue 19: 重庆's 一档 answered with the 二档 amount kept for the question before), and a new field
# would be forgotten the same way.
_REQUEST_FIELDS = tuple(f.name for f in dataclasses.fields(QuoteRequest))


def _atom(value: Any) -> Any:
    """A field as a plain atom: a Month as its index (no object the garbage collector walks in a kept key)."""
    return value.index() if isinstance(value, Month) else value


def request_key(snapshot: Snapshot, request: QuoteRequest) -> tuple[Any, ...]:
    """The whole question as plain atoms (equal requests give equal keys, as the dataclass compares them)."""
    return (snapshot_token(snapshot), *(_atom(getattr(request, name)) for name in _REQUEST_FIELDS))


class _Kept:
    """A bounded, thread-safe memo of bytes (or text) by key: nothing the garbage collector walks."""

    def __init__(self, size: int):
        self._kept: LRUCache[Hashable, Any] = LRUCache(maxsize=max(size, 1))
        self._lock = threading.Lock()  # LRUCache reorders itself on every read
        self.size = size

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        if not self.size:
            return make()
        with self._lock:
            found = self._kept.get(key)
        if found is None:
            found = make()
            with self._lock:
                self._kept[key] = found
        return found


class Answers(_Kept):
    """Calculations already answered under a snapshot, as bytes (``CALC_CACHE_SIZE``; 0: none kept)."""

    def json(self, snapshot: Snapshot, request: QuoteRequest) -> bytes:
        data: bytes = self.get(request_key(snapshot, request), lambda: quote_json(snapshot, request))
        return data

    def __call__(self, snapshot: Snapshot, request: QuoteRequest) -> dict[str, Any]:
        """The answer as data (for the pages): a fresh copy each time, so a page may change it freely."""
        data: dict[str, Any] = json.loads(self.json(snapshot, request), object_hook=Data)
        return data


class Tiers(_Kept):
    """Tier tables by (snapshot, region, scheme, month), as the API's bytes (``TIERS_CACHE_SIZE``).

    The pages keep their drawing of a table here too (``pages.tier_section``), under keys of their own.
    """

    def json(self, snapshot: Snapshot, region: str, scheme: str, month: Month) -> bytes:
        key = (snapshot_token(snapshot), region, scheme, month.index())
        data: bytes = self.get(key, lambda: tiers_json(snapshot, region, scheme, month))
        return data

    def __call__(self, snapshot: Snapshot, region: str, scheme: str, month: Month) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.json(snapshot, region, scheme, month), object_hook=Data)
        return data


def tiers_answer(snapshot: Snapshot, region: str, scheme: str, month: Month) -> dict[str, Any]:
    """The tiers endpoint's answer as data, before the schema's dump."""
    rows, used = tiers(snapshot, region, month, scheme)
    return {**_tiers_head(snapshot, region, scheme, month, rows), "references": used_versions(snapshot, used)}


def _tiers_head(snapshot: Snapshot, region: str, scheme: str, month: Month, rows: list[Tier]) -> dict[str, Any]:
    """The tiers answer but its references."""
    return {
        "region": region,
        "region_name": snapshot.regions[region].name,
        "scheme": scheme,
        "month": str(month),
        "year": month.year,
        "tiers": [tier_data(t) for t in rows],
    }


def tiers_json(snapshot: Snapshot, region: str, scheme: str, month: Month) -> bytes:
    """The tiers endpoint's answer, encoded: its references (the same few versions) encoded once per snapshot."""
    rows, used = tiers(snapshot, region, month, scheme)
    answer = _DUMP_TIERS(_tiers_head(snapshot, region, scheme, month, rows))
    answer["references"] = _MARK
    text = encode(answer).replace(_MARK_JSON, _references(snapshot, ordered(used)), 1)
    return (text + "\n").encode()
