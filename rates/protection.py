"""新就业形态人员职业伤害保障 (issue 24): whether platform work in a province is covered, since when, and the
documents; what a worker reads on the 测算 page and from GET /api/v1/injury-protection.

Information, not a contribution: the platform pays per order and the worker nothing, so nothing is priced here.
The data is ``rates/protection/injury_protection.yaml``; every problem is reported naming that file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from rates.families import TRUST_LABELS, TRUST_LEVELS
from rates.loader import ParameterFileError, read_yaml
from rates.model import Region

DATA = Path(__file__).parent / "protection" / "injury_protection.yaml"
NATIONAL_KEYS = ("industries", "industries_note", "who_pays", "fees", "after_injury", "rollout", "documents")
PROVINCE_KEYS = {"since", "batch", "documents", "fees", "note", "draft"}
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


@dataclass(frozen=True)
class Protection:
    national: dict[str, Any]  # texts, industries, and documents (Document)
    provinces: dict[str, Province]


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


def parse(path: Path, document: Any) -> Protection:
    """Validate the data; ParameterFileError naming the file and the key on the first fault."""
    if not isinstance(document, dict) or set(document) != {"national", "provinces"}:
        raise ParameterFileError([(str(path), "(file)", "must hold national and provinces")])
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
        provinces[code] = Province(
            since,
            str(body["batch"]),
            _documents(path, f"{code}.documents", body.get("documents")),
            body.get("fees"),
            body.get("note"),
            bool(body.get("draft", False)),
        )
    return Protection(texts, provinces)


def load(path: Path = DATA) -> Protection:
    return parse(path, read_yaml(path))


@functools.cache
def bundled() -> Protection:
    return load()


def _province(regions: dict[str, Region], code: str) -> Region:
    region = regions[code]
    while region.parent is not None and region.parent != "000000":
        region = regions[region.parent]
    return region


def answer(regions: dict[str, Region], code: str, today: date, data: Protection | None = None) -> dict[str, Any]:
    """What a worker on a platform in ``code`` reads: covered or not in the month of ``today``, since when, and the
    documents."""
    data = data or bundled()
    province = _province(regions, code)
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
