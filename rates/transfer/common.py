"""What both export formats share: the scope of an export, its limits, and a value and a reference as written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rates.model import Reference

SCOPE_NOTE = "仅含在用版本，不含已更正、已撤回的历史记录"
MAX_ROWS = 5000  # far more versions than any store holds; a sanity limit on one upload
PARAMETER_SHEET = "参数"
REGION_SHEET = "地区"


def text(value: Decimal | str) -> str:
    return str(value)  # as stored: "0.20" stays "0.20"


def reference_body(reference: Reference) -> dict[str, Any]:
    return {key: value for key, value in reference.to_json().items() if value}  # the files omit what is empty
