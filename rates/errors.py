"""What a refused write says: each problem by the field to fix, in Chinese.

Its own module, below ``rates.rows`` and ``rates.publish``: the store's loads and publishing refuse alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

STALE_MESSAGE = "该版本已被他人更新，请刷新后重试。"


@dataclass(frozen=True)
class Problem:
    field: str
    message: str  # Chinese, says what to fix


class PublishError(ValueError):
    """Nothing was saved; ``problems`` says what to fix, in Chinese."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("；".join(p.message for p in self.problems))


class StaleError(PublishError):
    """Someone else changed the same parameters since the form was opened."""

    def __init__(self, detail: str = ""):
        super().__init__([Problem("revision", STALE_MESSAGE + detail)])
