"""新就业形态人员职业伤害保障 (issue 24): whether platform work in a province is covered, since when, and the
documents; what a worker reads on the 测算 page and from GET /api/v1/injury-protection.

What a worker reads is information, not a contribution: the platform pays per order and the worker nothing.
What a platform pays for a month's orders is priced by ``calc.protection_fee`` from the per-order amounts here
(``order_fees``: the industries' amounts from the month a schedule takes effect, each with its document).
The data is ``rates/protection/injury_protection.yaml``; every problem is reported naming that file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rates.families import TRUST_LABELS, TRUST_LEVELS
from rates.loader import ParameterFileError, read_yaml
from rates.model import Region
from rates.months import Month

DATA = Path(__file__).parent / "protection" / "injury_protection.yaml"
NATIONAL_KEYS = ("industries", "industries_note", "who_pays", "fees", "after_injury", "rollout", "documents")
PROVINCE_KEYS = {"since", "batch", "documents", "fees", "note", "draft", "float_from", "float_note"}
SCHEDULE_KEYS = {"since", "doc_no", "title", "url", "trust", "amounts", "choose", "renamed", "before"}
DOCUMENT_KEYS = {"doc_no", "title", "url", "trust"}
ASK = "当地人力资源社会保障部门或社会保险经办机构（全国人社服务热线12333）"


@dataclass(frozen=True)
class Document:
    title: str
    trust: str
    doc_no: str | None = None
    url: str | None = None

    def data(self) -> dict[str, Any]:
        return {
            "doc_no": self.doc_no,
            "title": self.title,
            "url": self.url,
            "trust": self.trust,
            "trust_label": TRUST_LABELS[self.trust],
        }


@dataclass(frozen=True)
class Province:
    since: date
    batch: str
    documents: tuple[Document, ...]
    fees: str | None = None
    note: str | None = None
    draft: bool = False
    float_from: Month | None = None  # the month its per-order amounts may float from, where a document says so
    float_note: str | None = None


@dataclass(frozen=True)
class FeeSchedule:
    """The per-order amounts (元/单) of each industry from ``since``, and the document that sets them."""

    since: Month
    document: Document
    amounts: dict[str, tuple[Decimal, ...]]
    choose: dict[str, str]  # industry -> how a platform knows which of several amounts is its own
    renamed: dict[str, str]  # an industry's former name -> what to write instead
    before: str  # why months before the first schedule are not priced


@dataclass(frozen=True)
class Protection:
    national: dict[str, Any]  # texts, industries, and documents (Document)
    provinces: dict[str, Province]
    order_fees: tuple[FeeSchedule, ...] = ()  # by ``since``, oldest first


def _documents(path: Path, key: str, raw: Any) -> tuple[Document, ...]:
    if not isinstance(raw, list) or not raw:
        raise ParameterFileError([(str(path), key, "needs a list of documents")])
    found = []
    for number, item in enumerate(raw):
        where = f"{key}[{number}]"
        if not isinstance(item, dict) or not set(item) <= DOCUMENT_KEYS:
            raise ParameterFileError([(str(path), where, f"a document has only {', '.join(sorted(DOCUMENT_KEYS))}")])
        if not isinstance(item.get("title"), str) or item.get("trust") not in TRUST_LEVELS:
            raise ParameterFileError([(str(path), where, f"needs a title and a trust ({', '.join(TRUST_LEVELS)})")])
        found.append(Document(item["title"], item["trust"], item.get("doc_no"), item.get("url")))
    return tuple(found)


def _month(path: Path, key: str, raw: Any) -> Month:
    try:
        return Month.parse(str(raw))
    except ValueError:
        raise ParameterFileError([(str(path), key, 'a month, quoted: "2025-07"')]) from None


def _amount(path: Path, key: str, raw: Any) -> Decimal:
    """A per-order amount written as a quoted decimal ("0.07"): exact, positive, never a float."""
    if not isinstance(raw, str):
        raise ParameterFileError([(str(path), key, 'an amount is a quoted decimal: "0.07"')])
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ParameterFileError([(str(path), key, f"not a decimal: {raw!r}")]) from None
    if not amount.is_finite() or not Decimal(0) < amount < Decimal(10):
        raise ParameterFileError([(str(path), key, "an amount per order lies between 0 and 10 yuan")])
    return amount


def _texts(path: Path, key: str, raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise ParameterFileError([(str(path), key, "maps an industry to a text")])
    return dict(raw)


def _schedules(path: Path, raw: Any, industries: list[str]) -> tuple[FeeSchedule, ...]:
    if not isinstance(raw, list) or not raw:
        raise ParameterFileError([(str(path), "order_fees", "needs a list of fee schedules")])
    found = []
    for number, item in enumerate(raw):
        where = f"order_fees[{number}]"
        if (
            not isinstance(item, dict)
            or not set(item) <= SCHEDULE_KEYS
            or not {"since", "amounts", "before"} <= set(item)
        ):
            raise ParameterFileError(
                [(str(path), where, f"has since, amounts, before (and only {', '.join(sorted(SCHEDULE_KEYS))})")]
            )
        document = _documents(path, where, [{k: item[k] for k in DOCUMENT_KEYS if k in item}])[0]
        amounts = item["amounts"]
        if not isinstance(amounts, dict) or set(amounts) != set(industries):
            raise ParameterFileError(
                [(str(path), f"{where}.amounts", f"needs exactly the industries {', '.join(industries)}")]
            )
        table = {}
        for industry, values in amounts.items():
            if not isinstance(values, list) or not values:
                raise ParameterFileError([(str(path), f"{where}.amounts.{industry}", "a list of amounts")])
            table[industry] = tuple(_amount(path, f"{where}.amounts.{industry}", v) for v in values)
        choose = _texts(path, f"{where}.choose", item.get("choose"))
        if any(len(v) > 1 and k not in choose for k, v in table.items()):
            raise ParameterFileError(
                [(str(path), f"{where}.choose", "says how to choose for every industry with several amounts")]
            )
        found.append(
            FeeSchedule(
                _month(path, f"{where}.since", item["since"]),
                document,
                table,
                choose,
                _texts(path, f"{where}.renamed", item.get("renamed")),
                str(item["before"]),
            )
        )
    if [s.since for s in found] != sorted({s.since for s in found}):
        raise ParameterFileError([(str(path), "order_fees", "schedules in order of since, one per month")])
    return tuple(found)


def parse(path: Path, document: Any) -> Protection:
    """Validate the data; ParameterFileError naming the file and the key on the first fault."""
    if not isinstance(document, dict) or set(document) != {"national", "provinces", "order_fees"}:
        raise ParameterFileError([(str(path), "(file)", "must hold national, order_fees and provinces")])
    national = document["national"]
    if not isinstance(national, dict) or set(national) != set(NATIONAL_KEYS):
        raise ParameterFileError([(str(path), "national", f"needs exactly {', '.join(NATIONAL_KEYS)}")])
    texts = {k: v for k, v in national.items() if k != "documents"}
    texts["documents"] = _documents(path, "national.documents", national["documents"])
    provinces: dict[str, Province] = {}
    if not isinstance(document["provinces"], dict):
        raise ParameterFileError([(str(path), "provinces", "must map province codes to entries")])
    for code, body in document["provinces"].items():
        if not (isinstance(code, str) and len(code) == 6 and code.isdigit() and code.endswith("0000")):
            raise ParameterFileError([(str(path), str(code), "a province code is six digits ending 0000, quoted")])
        if not isinstance(body, dict) or not set(body) <= PROVINCE_KEYS or not {"since", "batch"} <= set(body):
            needs = "needs since and batch (and only documents, fees, note, draft)"
            raise ParameterFileError([(str(path), code, needs)])
        try:
            since = date.fromisoformat(str(body["since"]))
        except ValueError:
            raise ParameterFileError([(str(path), f"{code}.since", 'a date, quoted: "2025-07-01"')]) from None
        float_from = body.get("float_from")
        provinces[code] = Province(
            since,
            str(body["batch"]),
            _documents(path, f"{code}.documents", body.get("documents")),
            body.get("fees"),
            body.get("note"),
            bool(body.get("draft", False)),
            None if float_from is None else _month(path, f"{code}.float_from", float_from),
            body.get("float_note"),
        )
    return Protection(texts, provinces, _schedules(path, document["order_fees"], list(national["industries"])))


def load(path: Path = DATA) -> Protection:
    return parse(path, read_yaml(path))


@functools.cache
def bundled() -> Protection:
    return load()


def province_of(regions: dict[str, Region], code: str) -> Region:
    region = regions[code]
    while region.parent is not None and region.parent != "000000":
        region = regions[region.parent]
    return region


def answer(regions: dict[str, Region], code: str, today: date, data: Protection | None = None) -> dict[str, Any]:
    """What a worker on a platform in ``code`` reads: covered or not in the month of ``today``, since when, and the
    documents."""
    data = data or bundled()
    province = province_of(regions, code)
    national = data.national
    entry = data.provinces.get(province.code)
    base = {
        "region": code,
        "region_name": regions[code].name,
        "province": province.code,
        "province_name": province.name,
        "industries": list(national["industries"]),
        "industries_note": national["industries_note"],
        "who_pays": national["who_pays"],
        "worker_pays": "0.00",
        "after_injury": national["after_injury"],
        "national_fees": national["fees"],
        "national_documents": [d.data() for d in national["documents"]],
    }
    if entry is None:
        return base | {
            "covered": False,
            "since": None,
            "batch": None,
            "status": "unknown",
            "message": f"未查到{province.name}的职业伤害保障试点通知或启动时间，本服务不作推断。{national['rollout']}"
            f"{province.name}何时开始、哪些平台参加，请向{ASK}咨询。",
            "fees": None,
            "note": None,
            "documents": [],
        }
    started = (entry.since.year, entry.since.month) <= (today.year, today.month)  # covered in the month asked
    when = f"{entry.since.year}年{entry.since.month}月{entry.since.day}日"
    if started:
        message = f"{province.name}自{when}起开展新就业形态人员职业伤害保障试点（{entry.batch}）。"
        status = "covered"
    elif entry.draft:
        message = f"{province.name}拟于{when}起开展试点（征求意见稿，以正式通知为准）。"
        status = "draft"
    else:
        message = f"{province.name}将于{when}起开展新就业形态人员职业伤害保障试点（{entry.batch}）。"
        status = "announced"
    return base | {
        "covered": started,
        "since": entry.since.isoformat(),
        "batch": entry.batch,
        "status": status,
        "message": message,
        "fees": entry.fees,
        "note": entry.note,
        "documents": [d.data() for d in entry.documents],
    }
