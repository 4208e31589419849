"""The audit log in words an administrator reads (issue 23): who acted and on what, not the stored codes.

The log keeps what it always kept (``cli``, ``user/clerk1``, ``360100/avg_wage/2025-01``), so filters and
old entries keep working; only what is shown, on the page and in its workbook, is put into words here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rates.families import FAMILIES

ACTORS = {"cli": "服务器命令行（管理员）"}
VERSION_TARGET = re.compile(r"^(?P<region>\d{6})/(?P<family>[a-z_]+)/(?P<month>\d{4}-\d{2})$")


def actor_words(actor: str) -> str:
    """The operator as a person reads it: an account name stays, the command line is named as such."""
    return ACTORS.get(actor, actor)


def target_words(target: str, regions: Mapping[str, str]) -> str:
    """``user/clerk1`` -> 账号 clerk1; ``360100/avg_wage/2025-01`` -> 南昌市 · <family> · 2025-01起."""
    if target.startswith("user/"):
        return f"账号 {target.removeprefix('user/') or '（空）'}"
    found = VERSION_TARGET.match(target)
    if found:
        family = FAMILIES.get(found["family"])
        label = family.label if family else found["family"]
        region = regions.get(found["region"], found["region"])
        return f"{region} · {label} · {found['month']}起"
    return target


RAISE_ACTIONS = ("trust_propose", "trust_approve", "trust_refuse")


def raise_lines(action: str, after: Mapping[str, object]) -> list[str]:
    """A trust raise's audit entry in words (issue 25): the sentence, its page, the note, the outcome."""
    if action not in RAISE_ACTIONS:
        return []
    found = after.get("raise", after)
    proposal: Mapping[str, object] = found if isinstance(found, Mapping) else {}
    lines = [f"申请 {proposal.get('id')}：原文摘录“{proposal.get('excerpt')}”", f"原文网址：{proposal.get('url')}"]
    if proposal.get("note"):
        lines.append(f"说明：{proposal['note']}")
    if action == "trust_approve":
        lines.append(
            f"核准，写入官方原文版本 v{after.get('id')}"
            + (f"；备注：{proposal['reason']}" if proposal.get("reason") else "")
        )
    if action == "trust_refuse":
        lines.append(f"驳回理由：{proposal.get('reason')}")
    return lines
