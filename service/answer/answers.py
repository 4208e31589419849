"""The one answer path and its two caches: a frozen request -> ``price`` -> one dump -> JSON bytes.

- The request schema (``schemas.CalculateRequestSchema``) loads a body or a page's form into the frozen
  ``QuoteRequest``; ``TierRequest`` is the tier table's. Each is its own cache key: a frozen dataclass
  hashes and compares every field it has, so a field added to the request is in the key without
  anyone listing it (issue 19: a key listing fields by hand forgot ``medical_tier``).
- ``quote_json`` / ``tiers_json``: the engine's result through the schema's dump (compiled once,
  ``service.answer.dumping``, the same dict as ``Schema.dump``), encoded as the app's JSON provider writes it.
- ``Caches``: one per app (``app.extensions["caches"]``), two bounded maps from the request to those
  bytes, for one parameter snapshot at a time. A publication makes a new snapshot object; the first
  request priced on it starts both maps afresh, so an answer of an older snapshot is never served.
  The tier map also keeps the parts of pages drawn once per snapshot (``service.pages.drawn``), each
  under its own frozen key, and each year's tier prices (``calc.tiers.TierYear``: the twelve months of a
  year show the same yearly amounts, so a month met for the first time is cut from its year priced once).
  Bytes and text, not object graphs, but for those prices: a full garbage collection walks every object
  alive, and a bytes object is not even tracked by the collector.

The pages decode the same bytes (``decoded``) and render them with Jinja: what a page shows is what the
API answers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import threading
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from cachetools import LRUCache
from flask import current_app

from calc.quote import Line, QuoteRequest, price, tiers
from calc.tiers import Years, afresh
from rates.model import Reference
from rates.months import Month
from rates.store import Resolved, Snapshot
from service.answer.dumping import compile_dump
from service.answer.present import month_line, ordered, quote_data, tier_data, used_versions, version_data
from service.api import schemas
from service.core.codec import decode, encode, encode_part


@dataclass(frozen=True)
class TierRequest:
    """A tier table asked: what ``/api/v1/tiers`` and the 测算 page's comparison are about."""

    region: str
    scheme: str
    month: Month


# What the maps hold: bytes and text (drawn parts of pages: text, or tuples of text cut where a request's own
# values go), never an object graph, but for the priced years of tier tables (a few hundred small tuples each,
# once per region, scheme and year: the twelve months of a year share them) and the key of a drawing shared by
# months (``service.pages.drawn.TierDrawing``).
Held = TypeVar("Held")

_DUMP_QUOTE = compile_dump(schemas.QuoteSchema(exclude=("months", "references")))
_DUMP_LINE = compile_dump(schemas.LineSchema())
_DUMP_VERSION = compile_dump(schemas.VersionSchema())
_DUMP_TIERS = compile_dump(schemas.TiersSchema())


@dataclass(frozen=True)
class Cited:
    """A version as an answer cites it (``VersionSchema``): what its dump depends on besides the snapshot."""

    version_id: int
    level: str
    provisional: bool
    declared_by: Reference | None


Cite = Callable[[Resolved], orjson.Fragment]  # a version cited by an answer, as JSON ready to be joined


def cited(snapshot: Snapshot, used: Resolved) -> bytes:
    """A version cited by an answer, dumped and encoded afresh (``Caches`` keeps it once per snapshot)."""
    return encode_part(_DUMP_VERSION(version_data(snapshot, used.version, used)))


def quote_json(snapshot: Snapshot, request: QuoteRequest, cite: Cite | None = None) -> bytes:
    """The API's answer to a calculation: ``present.quote_answer``'s dump, encoded.

    The versions it cites are the same few for many answers: ``cite`` gives each one's JSON, kept once
    per snapshot by ``Caches`` (without it, each is dumped afresh; ``tests/test_answers.py`` checks that
    both give the same bytes).
    """
    quote = price(snapshot, request)
    cite = cite or (lambda used: orjson.Fragment(cited(snapshot, used)))
    return encode(
        {
            **_DUMP_QUOTE(quote_data(snapshot, quote, months=False, references=False)),
            "months": dumped_months(quote.lines),
            "references": [cite(used) for used in ordered(quote.used)],
        }
    )


def dumped_months(lines: list[Line]) -> list[dict[str, Any]]:
    """The months as ``LineSchema`` dumps them, each run of months priced alike dumped once.

    The engine hands the months of a run the very same values (one line copied but for its month): a line whose
    values are those of the line before (equal values dump alike) takes its dump but for the month. Half the time
    of an answer went to dumping every month of it afresh.
    """
    out = []
    values: tuple[object, ...] = ()
    found: dict[str, Any] = {}
    for line in lines:
        if line[1:] != values:  # every value but the month; the same objects compare equal without a look inside
            values, found = line[1:], _DUMP_LINE(month_line(line))
        out.append({**found, "month": str(line.month)})
    return out


def tiers_answer(snapshot: Snapshot, request: TierRequest, years: Years = afresh) -> dict[str, Any]:
    """The tiers endpoint's answer as data, before the schema's dump (``years``: the year's prices, as kept)."""
    rows, used = tiers(snapshot, request.region, request.month, request.scheme, years)
    return {
        "region": request.region,
        "region_name": snapshot.regions[request.region].name,
        "scheme": request.scheme,
        "month": str(request.month),
        "year": request.month.year,
        "tiers": [tier_data(t) for t in rows],
        "references": used_versions(snapshot, used),
    }


def tiers_json(snapshot: Snapshot, request: TierRequest, years: Years = afresh) -> bytes:
    return encode(_DUMP_TIERS(tiers_answer(snapshot, request, years)))


def decoded(data: bytes) -> dict[str, Any]:
    """An answer's bytes as the pages read them: a fresh copy each time, so a page may change it freely."""
    answer: dict[str, Any] = decode(data)
    return answer


class _Bounded:
    """A bounded, thread-safe map of what ``Held`` says by request; size 0 keeps nothing.

    ``weigh``: bounded by what the values weigh (``weight``, in bytes), not by their number; otherwise ``size``
    values."""

    def __init__(self, size: int, weigh: Callable[[Any], int] | None = None):
        self.size = size
        self._kept: LRUCache[Hashable, Any] = LRUCache(maxsize=max(size, 1), getsizeof=weigh)
        self._lock = threading.Lock()  # LRUCache reorders itself on every read

    def get(self, key: Hashable, make: Callable[[], Held]) -> Held:
        if not self.size:
            return make()
        with self._lock:
            try:  # one lookup: ``get`` asks ``in`` first, hashing the key once more
                found: Held | None = self._kept[key]
            except KeyError:
                found = None
        if found is None:
            found = make()  # outside the lock: two threads may price the same question, either answer is the same
            with self._lock, contextlib.suppress(ValueError):  # a value heavier than the whole bound: not kept
                self._kept[key] = found
        return found

    def __len__(self) -> int:
        return len(self._kept)


ENTRY = 250  # bytes a kept value costs besides itself, roughly: its key, its slot in the map, the map's order


def weight(value: object) -> int:
    """What keeping ``value`` costs, in bytes, roughly: text by its size; a year's tier prices (``YearPrices``)
    or a drawing's key by their parts, each object once. The versions a year cites belong to the snapshot."""
    seen: set[int] = set()

    def size(part: object) -> int:
        if id(part) in seen or part is None or isinstance(part, (bool, Resolved)):
            return 0
        seen.add(id(part))
        own = sys.getsizeof(part)
        if isinstance(part, tuple):
            return own + sum(map(size, part))
        if dataclasses.is_dataclass(part):  # PricedYear, a drawing's key
            return own + sum(size(getattr(part, f.name)) for f in dataclasses.fields(part))
        return own

    return size(value) + ENTRY


class _Kept:
    """Both maps of one snapshot object (held weakly: a snapshot no longer served may go).

    The tier map holds values of every size, from a drawing's 32-byte key to a table's 16 KB: it is bounded by
    their weight (``tier_kib`` KiB), not their number (issue 20: bounded at 4,096 values, the pages' small parts
    pushed the tier tables out, and the tiers mix priced them again under load)."""

    def __init__(self, snapshot: Snapshot, answers: int, tier_kib: int):
        self.snapshot = weakref.ref(snapshot)
        self.answers, self.tiers = _Bounded(answers), _Bounded(tier_kib * 1024, weight)


class Caches:
    """The app's answer cache and tier-table cache, both for one parameter snapshot at a time.

    ``CALC_CACHE_SIZE`` (answers) and ``TIERS_CACHE_SIZE`` (KiB of the tier map) bound them (0: that cache is
    off). A key is the frozen request itself within the maps of one snapshot object, held by identity (a preview
    shares its revision number with the snapshot it extends, so the number would not do). A request priced on
    another snapshot starts both maps afresh, unless that snapshot is older than the one held (a request
    that began before a publication): it is answered without either cache.
    """

    def __init__(self, answers: int, tier_kib: int):
        self.sizes = (answers, tier_kib)
        self._kept: _Kept | None = None
        self._lock = threading.Lock()

    def kept(self, snapshot: Snapshot) -> _Kept:
        """The maps of this snapshot (new ones if it is not the snapshot held)."""
        kept = self._kept
        if kept is not None and kept.snapshot() is snapshot:
            return kept
        with self._lock:
            kept = self._kept
            held = kept.snapshot() if kept is not None else None
            if kept is not None and held is snapshot:
                return kept
            fresh = _Kept(snapshot, *self.sizes)
            if held is None or snapshot.revision >= held.revision:
                self._kept = fresh
            return fresh  # an older snapshot's maps are used by this request alone

    def answer_json(self, snapshot: Snapshot, request: QuoteRequest) -> bytes:
        return self.kept(snapshot).answers.get(request, lambda: quote_json(snapshot, request, self.citer(snapshot)))

    def citer(self, snapshot: Snapshot) -> Cite:
        """The versions an answer cites, each dumped once per snapshot and kept beside the tier tables."""
        kept = self.kept(snapshot).tiers

        def cite(used: Resolved) -> orjson.Fragment:
            if used.version.id is None:  # not a stored version (never so in a served snapshot): not kept
                return orjson.Fragment(cited(snapshot, used))
            key = Cited(used.version.id, used.level, used.provisional, used.declared_by)
            return orjson.Fragment(kept.get(key, lambda: cited(snapshot, used)))

        return cite

    def answer(self, snapshot: Snapshot, request: QuoteRequest) -> dict[str, Any]:
        """The answer as the pages read it (``decoded``)."""
        return decoded(self.answer_json(snapshot, request))

    def tiers_json(self, snapshot: Snapshot, request: TierRequest) -> bytes:
        """The tier table, its year's prices kept beside it (``calc.tiers.TierYear``): a month met for the first
        time is cut from its year priced once."""
        kept = self.kept(snapshot).tiers
        return kept.get(request, lambda: tiers_json(snapshot, request, kept.get))

    def tier_table(self, snapshot: Snapshot, request: TierRequest) -> dict[str, Any]:
        return decoded(self.tiers_json(snapshot, request))

    def drawn(self, snapshot: Snapshot, part: Hashable, draw: Callable[[], Held]) -> Held:
        """A part of a page drawn for this snapshot (``service.pages.drawn``), kept beside the tier tables."""
        return self.kept(snapshot).tiers.get(part, draw)


def init_app(app: Any) -> None:
    """One ``Caches`` per app, sized by the configuration (``service.core.config`` reads the environment)."""
    app.extensions["caches"] = Caches(int(app.config["CALC_CACHE_SIZE"]), int(app.config["TIERS_CACHE_SIZE"]))


def caches() -> Caches:
    found: Caches = current_app.extensions["caches"]
    return found
