"""What a parameter version is, independent of where it is stored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rates.months import Month

NATIONAL = "000000"
EXCERPT_KEYS = ("excerpt", "excerpt_url", "excerpt_note", "excerpt_by", "excerpt_at")


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    parent: str | None


@dataclass(frozen=True)
class Reference:
    """The document a figure comes from: title and 文号, and how the figure reached us."""

    title: str
    doc_no: str | None = None
    url: str | None = None
    published: date | None = None
    source: str | None = None
    fields: tuple[str, ...] = ()
    # A document by which the province declares that the version citing it continues, from this month,
    # until the next year's figures are published (省里明确暂按上年度标准): the provisional months from
    # then on are the province's carry-over, not one the service assumes for lack of news.
    carries_over: Month | None = None
    # Held text (issue 25, rates.excerpts): the notice's verbatim sentence, the page it was read on, why a
    # figure is not in it (when one is not), who attached it and when (ISO time). 官方原文 needs it.
    excerpt: str | None = None
    excerpt_url: str | None = None
    excerpt_note: str | None = None
    excerpt_by: str | None = None
    excerpt_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "title": self.title,
            "doc_no": self.doc_no,
            "url": self.url,
            "published": self.published.isoformat() if self.published else None,
            "source": self.source,
            "fields": list(self.fields),
        }
        if self.carries_over is not None:  # only when set: references stored before it existed compare equal
            data["carries_over"] = str(self.carries_over)
        for name in EXCERPT_KEYS:  # the same: only when held
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reference:
        published = data.get("published")
        return cls(
            title=data["title"],
            doc_no=data.get("doc_no"),
            url=data.get("url"),
            published=date.fromisoformat(published) if published else None,
            source=data.get("source"),
            fields=tuple(data.get("fields") or ()),
            carries_over=Month.parse(data["carries_over"]) if data.get("carries_over") else None,
            **{name: data.get(name) or None for name in EXCERPT_KEYS},
        )


@dataclass(frozen=True)
class Version:
    """One dated set of values of one family for one region, with its sources."""

    region: str
    family: str
    effective_from: Month
    values: Mapping[str, Decimal | str]
    references: tuple[Reference, ...]
    trust: str
    note: str | None = None
    contribution_year: int | None = None
    # Some schemes switch to a new yearly figure later than others (云南2026: medical in September).
    effective_by_scheme: Mapping[str, Month] = field(default_factory=dict)
    # The last month the version is in force, where its source states an end (有效期至): after it the
    # version in force before it applies again, or nothing (未配置).
    effective_to: Month | None = None
    origin: str | None = None
    id: int | None = None
    recorded_at: datetime | None = None
    recorded_by: str | None = None
    supersedes: int | None = None
    withdrawn: bool = False

    def effective_for(self, scheme: str | None) -> Month:
        if scheme is not None and scheme in self.effective_by_scheme:
            return self.effective_by_scheme[scheme]
        return self.effective_from

    def in_force(self, month: Month, scheme: str | None = None) -> bool:
        """Whether the version applies in ``month``: started, and not past its stated end."""
        return self.effective_for(scheme) <= month and (self.effective_to is None or month <= self.effective_to)

    def decimal(self, name: str) -> Decimal | None:
        value = self.values.get(name)
        return value if isinstance(value, Decimal) else None

    def payload(self) -> dict[str, Any]:
        """The content of the version, in a JSON form that keeps every decimal exact."""
        payload = {
            "values": {k: str(v) for k, v in sorted(self.values.items())},
            "references": [r.to_json() for r in self.references],
            "trust": self.trust,
            "note": self.note,
            "contribution_year": self.contribution_year,
            "effective_by_scheme": {k: str(v) for k, v in sorted(self.effective_by_scheme.items())},
        }
        if self.effective_to is not None:  # only when set: versions stored before it existed compare equal
            payload["effective_to"] = str(self.effective_to)
        return payload

    def doc_numbers(self) -> str:
        return "；".join(r.doc_no for r in self.references if r.doc_no) or "无文号"
