"""ID numbers never reach a log in full.

Every log record of the process (the app's, the server's request lines, tracebacks) is masked
before any handler formats it: a 公民身份号码 keeps its first 6 and last 4 characters
(360102********123X). Installed once by the app factory, whatever server runs the app.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

_ID = re.compile(
    r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])"
    r"|(?<![0-9A-Za-z])(\d{6})(\d{5})(\d{4})(?![0-9A-Za-z])"
)


def mask_ids(text: str) -> str:
    def hide(match: re.Match[str]) -> str:
        if match.group(1):  # 18 characters: region, birth date and sequence, check
            return f"{match.group(1)}********{match.group(3)}"
        return f"{match.group(4)}*****{match.group(6)}"  # the old 15-digit form

    return _ID.sub(hide, text)


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        message = record.getMessage()
        hidden = mask_ids(message)
        if hidden != message:
            record.msg, record.args = hidden, None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = mask_ids("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        return record

    logging.setLogRecordFactory(masked_record)
    _installed = True
