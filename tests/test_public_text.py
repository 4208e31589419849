"""Every public page, crawled with the test client: no file of this project (rates/params/…, shared/…,
.yaml, .csv) and no English prose, anywhere a member of the public reads (issue 25). A figure found in a
public compilation is said so in Chinese words; the compilation's name and path stay in the API and the
admin pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.core.db import snapshot
from service.core.public_text import public_origin, public_source
from tests.admin_support import add_user, login

# What no public page may contain, in its text, its attributes or its links.
FILE_MARKS = ("rates/params", "shared/", ".yaml", ".csv")
# ASCII words a Chinese page may use: acronyms, formats, units, the service's own words for codes.
ALLOWED_WORDS = {
    "api", "excel", "pdf", "url", "xlsx", "qr", "id", "gb", "csv", "v", "no", "ok", "http", "https", "www",
    "tab", "kb", "mb", "cm", "mm", "px", "utc", "yyyy", "dd",
}  # fmt: skip
# Attributes whose text a reader sees or hears; href, src, name, value and the like are not prose.
READ_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder", "summary"}
WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])")


class Reader(HTMLParser):
    """The text a reader sees or hears, and every attribute value (for the file marks)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.read: list[str] = []
        self.attributes: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        for name, value in attrs:
            if value:
                self.attributes.append(value)
                if name in READ_ATTRIBUTES:
                    self.read.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.read.append(data)


def english(text: str) -> list[str]:
    """ASCII words that are not on the allowed list, besides links, check codes and this service's addresses."""
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"(?<![A-Za-z0-9.])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:cn|com|net|org)\b", " ", text)  # a site's name
    text = re.sub(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b", " ", text)  # a quote's check code
    text = re.sub(r"(?<![A-Za-z0-9])/[a-z][a-z/]*", " ", text)  # an address of this service, as /verify
    return [w for w in WORD.findall(text) if w.lower() not in ALLOWED_WORDS]


def problems(html: str) -> list[str]:
    reader = Reader()
    reader.feed(html)
    found = [mark for mark in FILE_MARKS if any(mark in part for part in reader.read + reader.attributes)]
    for part in reader.read:
        words = english(part)
        if words:
            found.append(f"{' '.join(words)} in {part.strip()[:120]!r}")
    return found


CALCULATIONS = [
    {"scheme": "flexible_pension", "start": "2025-01", "end": "2026-12", "basis": "ratio", "base_ratio": "0.6"},
    {"scheme": "resident_medical", "start": "2025-01", "end": "2026-12"},
    {"scheme": "flexible_medical", "start": "2025-01", "end": "2025-12", "basis": "ratio", "base_ratio": "0.6"},
    {"scheme": "outlet_injury", "start": "2025-01", "end": "2025-12", "headcount": "3"},
]


def regions(app: Flask) -> list[str]:
    with app.app_context():
        return sorted(snapshot().regions)


def public_pages(app: Flask, client: FlaskClient) -> Iterator[tuple[str, str]]:
    yield "/", client.get("/").get_data(as_text=True)
    for code in regions(app):
        for form in CALCULATIONS:
            address = "/?" + urlencode({"region": code} | form)
            yield address, client.get(address).get_data(as_text=True)
        yield f"/parameters/{code}", client.get(f"/parameters/{code}").get_data(as_text=True)
    for address in ("/parameters", "/window", "/outlets", "/login", "/verify", "/window/benefit"):
        yield address, client.get(address).get_data(as_text=True)
    for code in QUOTED:  # the printed quote (窗口测算单), pension and resident medical
        for form in CALCULATIONS[:2]:
            issued = client.post("/window", data={"region": code, "clerk": "王五", "csrf_token": ""} | form)
            assert issued.status_code == 303, issued.get_data(as_text=True)
            address = issued.headers["Location"]
            yield address, client.get(address).get_data(as_text=True)


QUOTED = ("360100", "110000", "530000", "440000", "210000")


def test_no_public_page_names_a_file_of_this_project_or_speaks_english(app: Flask, client: FlaskClient) -> None:
    found = {address: problems(html) for address, html in public_pages(app, client)}
    assert not {a: p for a, p in found.items() if p}


def test_the_api_keeps_the_compilation_it_was_found_in(client: FlaskClient) -> None:
    body = {"region": "530000", "scheme": "flexible_pension", "start": "2025-01", "end": "2025-12", "base_ratio": "0.6"}
    answer = client.post("/api/v1/calculate", json=body).get_json()
    sources = [r["source"] or "" for v in answer["references"] for r in v["references"]]
    assert any("GitHub 仓库" in s for s in sources)
    page = client.get("/parameters/530000").get_data(as_text=True)
    assert "GitHub" not in page and "据民间公开汇编转引，未见通知原文" in page


@pytest.mark.parametrize(
    ("record", "public"),
    [
        ("据公开汇编转引（GitHub 仓库 liubigfatty/pension-calculator）", "据民间公开汇编转引，未见通知原文"),
        (
            "据公开汇编转引（GitHub 仓库 weante/city-salary）；另见 https://rsj.haibei.gov.cn/xwzx/gzdt/9394221.html",
            "据民间公开汇编转引，未见通知原文；另见 https://rsj.haibei.gov.cn/xwzx/gzdt/9394221.html",
        ),
        (
            "通知原文逐字摘录见公开汇编（GitHub 仓库 Alaric1098/China-Pension-Strategy-Skill、a/b）",
            "通知原文逐字摘录见民间公开汇编",
        ),
        ("本项目参考资料 shared/reference/README.md（2025年维持400元）", "本服务整理的资料（2025年维持400元）"),
        ("南昌市实施方案文本（本项目资料 shared/seeds/plan.txt）", "南昌市实施方案文本（本服务整理的资料）"),
        ("据公开汇编转引（GitHub 仓库 a/b，文件 c/d.js; 文号 as cited in d.js）", "据民间公开汇编转引，未见通知原文"),
        (None, ""),
    ],
)
def test_a_source_line_in_public_words(record: str | None, public: str) -> None:
    assert public_source(record) == public


@pytest.mark.parametrize(
    ("origin", "public"),
    [
        ("rates/params/360000/avg_wage.yaml", ""),
        ("upload 参数.yaml", "管理页上传文件"),
        ("admin form", "管理页表单"),
        (None, ""),
    ],
)
def test_where_a_version_was_recorded_from_in_public_words(origin: str | None, public: str) -> None:
    assert public_origin(origin) == public


def test_the_admin_overview_keeps_the_compilation_and_the_file(app: Flask) -> None:
    add_user(app, "clerk1", "clerk")
    client = app.test_client()
    login(client, "clerk1")
    html = client.get("/admin").get_data(as_text=True)
    assert "据公开汇编转引（GitHub 仓库" in html and "rates/params/530000/avg_wage.yaml" in html
