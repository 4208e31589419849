"""ID numbers never reach a log in full.

Every log record of the process (the app's, the server's request lines, tracebacks) is masked
before any handler formats it: a 公民身份号码 keeps its first 6 and last 4 characters
(360102********123X), also where it is written next to letters (``/parameters/ID3601...``) or in
groups with hyphens, spaces or ``%20``. Installed once by the app factory, whatever server runs the app.

A record never makes logging fail: its text is made encodable (a lone surrogate is written as
``\\ud800``), and a message whose arguments do not fit its format is logged as it is.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from types import TracebackType
from typing import Any

_GAP = r"(?:[-\s._]|%20|\+)?"  # how people group the digits when they type them
_ID = re.compile(
    rf"(?<!\d)(\d{{6}}){_GAP}(\d{{8}}){_GAP}(\d{{3}}[\dXx])(?!\d)"
    r"|(?<!\d)(\d{6})(\d{5})(\d{4})(?!\d)"
)


def mask_ids(text: str) -> str:
    def hide(match: re.Match[str]) -> str:
        if match.group(1):  # 18 characters: region, birth date and sequence, check
            return f"{match.group(1)}********{match.group(3)}"
        return f"{match.group(4)}*****{match.group(6)}"  # the old 15-digit form

    return _ID.sub(hide, text)


def writable(text: str) -> str:
    """The text with anything a UTF-8 stream cannot take (lone surrogates) written as an escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


_installed = False


def install() -> None:
    global _installed
    # tracebacks Python prints itself (an uncaught error in the main thread or another thread)
    sys.excepthook = _print_masked
    threading.excepthook = _print_thread_masked
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: log what was given
            message = f"{record.msg!r} {record.args!r}"
        hidden = writable(mask_ids(message))
        if hidden != record.msg or record.args:
            record.msg, record.args = hidden, None
        if record.exc_info and record.exc_info[0] is not None:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = writable(mask_ids(text))
        return record

    logging.setLogRecordFactory(masked_record)
    _installed = True


def _print_masked(kind: type[BaseException], value: BaseException, trace: TracebackType | None) -> None:
    text = "".join(traceback.format_exception(kind, value, trace))
    sys.stderr.write(writable(mask_ids(text)))


def _print_thread_masked(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    sys.stderr.write(f"Exception in thread {name}:\n")
    _print_masked(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)
