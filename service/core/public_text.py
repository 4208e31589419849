"""What the public pages say of where a figure came from (issue 25).

A reference's ``source`` is the working record: it names the public compilations (GitHub repositories,
their files) and this project's own files through which a figure reached us. The API and the
administration pages keep it whole. A public page says the same in Chinese words: that the figure was
found in a private (民间) public compilation, and whether the notice's own text was seen, with the
government pages the record names; no repository, no file of this project, no English.
"""

from __future__ import annotations

import re

COMPILATION = "民间公开汇编"
NOT_SEEN = "未见通知原文"
OWN_NOTES = "本服务整理的资料"

_URL = re.compile(r"https?://[^\s，。；、）)]+")
# A repository or file named in the record: "GitHub 仓库 a/b、c/d", "文件 x/y.js", a bare a/b.
_REPOSITORIES = re.compile(r"(?:另见\s*)?GitHub\s*仓库\s*")
_FILE = re.compile(r"文件\s*[A-Za-z0-9_./-]+")
_PATH = re.compile(r"(?<![A-Za-z0-9_/])[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]*[A-Za-z0-9_-](?![A-Za-z0-9_/])")
_PROJECT_FILES = re.compile(r"本项目(?:参考)?资料\s*")
_ASCII_WORDS = re.compile(r"(?<![A-Za-z0-9_/:.])[A-Za-z][A-Za-z .,;:'-]*[A-Za-z.](?![A-Za-z0-9_/])")
_EMPTY_BRACKETS = re.compile(r"（[\s，、；,;]*(?:文号|一致)?[\s，、；,;]*）")


def _without_urls(text: str) -> tuple[str, list[str]]:
    urls: list[str] = []

    def keep(match: re.Match[str]) -> str:
        urls.append(match.group(0))
        return f"\x00{len(urls) - 1}\x00"

    return _URL.sub(keep, text), urls


def public_source(source: str | None) -> str:
    """The source line as a public page shows it (empty when nothing public remains of it)."""
    return _public(source, say_unseen=True)


def public_note(note: str | None) -> str:
    """A version's note as a public page shows it: the same words, without repositories or files."""
    return _public(note, say_unseen=False)


def _public(source: str | None, say_unseen: bool) -> str:
    if not source:
        return ""
    text, urls = _without_urls(source)
    compilation = say_unseen and bool(re.search(r"汇编|转引|转述|GitHub|仓库", text))
    text = _PROJECT_FILES.sub(OWN_NOTES, text)
    text = _REPOSITORIES.sub("", text)
    text = _FILE.sub("", text)
    text = _PATH.sub("", text)
    text = re.sub(r"(?<![A-Za-z0-9_/])[A-Za-z0-9_-]+\.(?:md|txt|yaml|yml|csv|js|json|py)\b", "", text)
    text = _ASCII_WORDS.sub("", text).replace("该仓库", "该汇编")
    text = text.replace("公开汇编", COMPILATION).replace("二手汇编", COMPILATION).replace("民间民间", "民间")
    if OWN_NOTES in text:
        text = re.sub(rf"{OWN_NOTES}\s*（", f"{OWN_NOTES}（", text)
        text = re.sub(rf"（{OWN_NOTES}\s*）", f"（{OWN_NOTES}）", text)
    # tidy what the removals left: separators next to brackets, doubled or trailing separators
    for _ in range(3):
        text = re.sub(r"（\s+", "（", re.sub(r"\s+）", "）", text))
        text = re.sub(r"（\s*(?:[，、；,;]|与\s)\s*", "（", text)
        text = re.sub(r"\s*(?:[，、；,;]|\s与|引自)\s*）", "）", text)
        text = _EMPTY_BRACKETS.sub("", text)
        text = re.sub(r"\s*([，、；])\s*[，、；]+", r"\1", text)
    text = re.sub(r"\s+", " ", text).strip(" ，、；,;")
    if compilation and "原文" not in text and "未见" not in text:
        text = text.replace(f"据{COMPILATION}转引", f"据{COMPILATION}转引，{NOT_SEEN}", 1)
    return re.sub(r"\x00(\d+)\x00", lambda m: urls[int(m.group(1))], text)


# Where a version was recorded from, as a public page says it: no file name (the admin pages keep it).
PUBLIC_ORIGINS = (
    ("admin form", "管理页表单"),
    ("admin withdrawal", "管理页撤回"),
    ("upload ", "管理页上传文件"),
    ("trust raise ", "管理页提升可信度（附通知原文，经另一位管理员核准）"),
)


def public_origin(origin: str | None) -> str:
    """The origin of a version in words for the public (empty for the bundled files: 录入 says so)."""
    if not origin or origin.startswith("rates/params/"):
        return ""
    for prefix, label in PUBLIC_ORIGINS:
        if origin.startswith(prefix):
            return label
    return "其他来源"
