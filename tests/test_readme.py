"""Every curl example in the README returns what the README shows (a subset of the real answer)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"```sh\n(curl (?:(?!```).)*?)```\s*```json\n(.*?)```", re.S)


def examples() -> list[Any]:
    found = BLOCK.findall(README.read_text(encoding="utf-8"))
    assert found, "no curl examples found in README.md"
    return [pytest.param(command, json.loads(shown), id=f"example{i}") for i, (command, shown) in enumerate(found)]


def contains(shown: Any, actual: Any, where: str = "") -> None:
    """``shown`` is an abridged copy of ``actual``: dict keys may be left out, lists cut short."""
    if isinstance(shown, dict):
        assert isinstance(actual, dict), where
        for key, value in shown.items():
            assert key in actual, f"{where}.{key} missing"
            contains(value, actual[key], f"{where}.{key}")
    elif isinstance(shown, list):
        assert isinstance(actual, list) and len(shown) <= len(actual), where
        for i, (a, b) in enumerate(zip(shown, actual, strict=False)):
            contains(a, b, f"{where}[{i}]")
    else:
        assert shown == actual, f"{where}: README shows {shown!r}, the app answers {actual!r}"


@pytest.mark.parametrize(("command", "shown"), examples())
def test_readme_example(client: FlaskClient, command: str, shown: Any) -> None:
    words = shlex.split(command.replace("\\\n", " "))
    url = next(w for w in words if w.startswith("http"))
    body = words[words.index("-d") + 1] if "-d" in words else None
    target = urlsplit(url)
    path = target.path + (f"?{target.query}" if target.query else "")
    response = client.post(path, data=body, content_type="application/json") if body else client.get(path)
    contains(shown, response.get_json())
