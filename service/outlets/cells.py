"""One cell of a roster as what it means: text, a month, an ID number, a credit code, a factor.

Each parser raises ``CellError`` with the fix in Chinese; the callers turn it into a row error.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from rates.months import Month

NUMERIC_ID = (
    "身份证号被 Excel 存成了数字，后几位已经丢失，无法使用：请把这一列设置为“文本”格式，重新输入完整的18位号码。"
)
MAX_OUTLET = 100  # characters: longer is not an outlet's name but pasted text
MAX_NAME = 60  # the longest real names (transliterated, with ·) are about 30
MAX_RAW = 200  # characters of a cell shown back on the error sheet
TEMPLATE_EXAMPLE_ID = "11010519491231002X"  # the sample number of GB 11643, used in the template's example row


def cell_text(value: Any) -> str:
    """A cell as the text the user sees, trimmed (numbers without a spurious .0)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    return str(value).strip()


def normal(text: str) -> str:
    """Full-width to half-width, no spaces, no invisible characters: how header names and codes are compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", without_invisible(text)))


# Unicode's format characters (category Cf) draw nothing, or only turn the text's direction: zero-width
# space and joiners (U+200B-U+200D), the byte order mark (U+FEFF), direction marks, embeddings, overrides
# and isolates (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), soft hyphen, tags... Two names that differ
# only by them look identical. Every one of them is in planes 0, 1 and 14.
@functools.cache
def invisible() -> re.Pattern[str]:
    """Every format character, found in Unicode's tables once a process reads a roster (not at every start)."""
    planes = itertools.chain(range(0x20000), range(0xE0000, 0xE1000))
    found = [c for c in planes if unicodedata.category(chr(c)) == "Cf"]
    # written as ranges (U+E0020-U+E007F, not 96 characters): a class of some 160 single characters is
    # searched character by character, seven times slower on every name and outlet of a roster
    ranges: list[list[int]] = []
    for code in found:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return re.compile("[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges) + "]")


_ODD_SPACE = re.compile(r"[^\S\n\r\t\x0b\x0c\x1c-\x1f\x85 \u3000]")  # no-break and thin spaces: drawn as " "
_ZWJ, _BLACK_FLAG, _TAGS = "\u200d", "\U0001f3f4", range(0xE0020, 0xE0080)


def _emoji(char: str) -> bool:
    return unicodedata.category(char) == "So" or char == "\ufe0f"


def _drop(match: re.Match[str]) -> str:
    """An invisible character goes, except where it is part of an emoji: the joiner inside 👨‍👩‍👧, a flag's tags."""
    char, text, at = match.group(), match.string, match.start()
    before = text[at - 1] if at else ""
    if char == _ZWJ and before and at + 1 < len(text) and _emoji(before) and _emoji(text[at + 1]):
        return char
    if ord(char) in _TAGS and before and (before == _BLACK_FLAG or ord(before) in _TAGS):
        return char
    return ""


def without_invisible(text: str) -> str:
    """The text without format characters (kept inside emoji), other spaces written as plain spaces."""
    if text.isascii():
        return text
    return _ODD_SPACE.sub(" ", invisible().sub(_drop, text))


_MONTH_TEXT = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"),  # a whole date typed as text: its month
)
MONTH_HELP = "请写成 2025-03 这样的年月（也可写 2025/3、2025.3、2025年3月、202503 或填日期）"


class CellError(ValueError):
    pass


def _month_from(year: int, month: int, raw: str) -> int:
    if not 1 <= month <= 12:
        raise CellError(f"“{raw}”的月份不在1至12之间，{MONTH_HELP}。")
    if not 1900 <= year <= 9999:
        raise CellError(f"“{raw}”的年份不对，{MONTH_HELP}。")
    return Month(year, month).index()


@lru_cache(maxsize=4096)
def parse_month(value: Any) -> int:
    """A month cell as ``Month.index()``; raises ``CellError`` with the fix in Chinese."""
    if isinstance(value, dt.date):  # datetime is a date too
        return _month_from(value.year, value.month, cell_text(value))
    if isinstance(value, bool):
        raise CellError(f"不是月份，{MONTH_HELP}。")
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        digits = str(int(value))
        if len(digits) == 6:
            return _month_from(int(digits[:4]), int(digits[4:]), digits)
        raise CellError(f"“{digits}”不是年月，{MONTH_HELP}。")
    if isinstance(value, float):
        # 2025.3 typed into a number cell arrives as the float 2025.3; its shortest repr is what was
        # typed, except that Excel keeps no trailing zero: 2025.10 (October) arrives as 2025.1, the same
        # number as 2025.1 (January). That one cannot be told apart, so it is never guessed.
        text = repr(value)
        year, _, month = text.partition(".")
        if month == "1" and len(year) == 4:
            raise CellError(
                "“2025.1”这样的数字无法区分1月和10月（Excel 会把 2025.10 存成 2025.1）："
                "请改写成 2025-01 或 2025-10，或把该列设为文本后再填。".replace("2025", year)
            )
        if len(year) == 4 and month.isdigit() and len(month) <= 2:
            return _month_from(int(year), int(month), text)
        raise CellError(f"“{text}”不是年月，{MONTH_HELP}。")
    if isinstance(value, str):
        text = normal(value)
        for pattern in _MONTH_TEXT:
            match = pattern.match(text)
            if match:
                if len(match.groups()) == 3:
                    try:
                        dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
                    except ValueError:
                        raise CellError(f"“{value.strip()}”不是有效日期，{MONTH_HELP}。") from None
                return _month_from(int(match.group(1)), int(match.group(2)), value.strip())
        raise CellError(f"“{value.strip()[:30]}”不是可识别的年月，{MONTH_HELP}。")
    raise CellError(f"不是月份，{MONTH_HELP}。")


@lru_cache(maxsize=1024)
def parse_factor(value: Any) -> Decimal:
    if value == "" or value is None:
        return Decimal(1)
    if isinstance(value, bool):
        raise CellError("浮动费率须为数字（例如 1 或 1.2），不填则按 1 计算。")
    # a float's shortest repr is what was typed (1.2, not 1.19999...)
    text = repr(value) if isinstance(value, float) else normal(str(value))
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(f"“{str(value)[:20]}”不是数字：浮动费率须为数字（例如 1 或 1.2），不填则按 1 计算。") from None
    if not number.is_finite():
        raise CellError("浮动费率须为有限的数字。")
    if number.as_tuple().exponent < -4:  # type: ignore[operator]
        raise CellError("浮动费率最多4位小数，请修改。")
    return number


@lru_cache(maxsize=65536)
def _birth_date(digits: str) -> bool:
    """cn.ric's birth-date check, once per distinct date (a roster holds far fewer dates than people)."""
    try:
        born = ric.get_birth_date(f"000000{digits}0000")
    except ValidationError:
        return False
    return born <= dt.date.today()


def parse_id(value: Any) -> str:
    """A 公民身份号码 checked with cn.ric's functions: length, digits, checksum and birth date.

    Not cn.ric's birth-place check: it wants the first six digits to name a county that existed in
    the birth year, but they name the household registration where the number was issued, often a
    district created later (青山湖区 360111 for someone born in 1970), so real numbers would be refused;
    a mistyped digit is caught by the checksum anyway. Lowercase x is written upper case.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellError(NUMERIC_ID)
    if not isinstance(value, str):
        raise CellError("身份证号须为18位号码，请填写。")
    # the common case, 18 plain ASCII characters, skips the full-width and space clean-up
    number = value.upper() if len(value) == 18 and value.isascii() and value.isalnum() else normal(value).upper()
    if not number:
        raise CellError("身份证号为空，请填写18位公民身份号码。")
    if len(number) != 18:
        raise CellError(f"身份证号应为18位，这里是{len(number)}位：请核对后重新填写。")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise CellError("身份证号只能是17位数字加最后一位数字或X，请核对。")
    if number[-1] != ric.calc_check_digit(number):
        raise CellError("身份证号校验位不对（可能有数字输错），请与身份证核对。")
    if not _birth_date(number[6:14]):
        raise CellError("身份证号中的出生日期不存在，请与身份证核对。")
    return number


@lru_cache(maxsize=4096)
def parse_credit_code(value: Any) -> str:
    if isinstance(value, (int, float)):
        raise CellError("统一社会信用代码被存成了数字，请把该列设为文本后重新填写18位代码（或留空）。")
    code = normal(str(value)).upper()
    try:
        return uscc.validate(code)
    except ValidationError:
        raise CellError(f"统一社会信用代码“{code[:30]}”校验不通过：请核对营业执照上的18位代码，或留空。") from None


_TOTAL = re.compile(r"^(?:合计|总计|小计)(?:[:(].*)?$")  # “合计”, “合计：”, “合计（元）”, not “合计快递”


def is_total(cells: list[Any]) -> bool:
    return any(isinstance(cell, str) and cell and _TOTAL.match(normal(cell)) for cell in cells)


CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # Unicode's control characters (category Cc)


def text_problem(text: str, label: str, limit: int) -> str | None:
    """Why a name cannot be used (empty, too long to be one, control characters), or None."""
    if not text:
        return f"{label}为空，请填写{'快递网点名称' if label == '网点名称' else '快递员姓名'}。"
    if len(text) > limit:
        return f"{label}有 {len(text)} 个字符，超过 {limit} 个字符的上限：请核对是否把别的内容粘贴进来了。"
    if CONTROL.search(text):
        return f"{label}里有换行符或其他看不见的控制字符（常见于从别的系统复制）：请删除后重新输入。"
    return None


def raw_text(value: Any) -> str:
    """What a cell held, for the error sheet: cut when very long (a whole pasted document)."""
    if value is None:
        return ""
    text = cell_text(value)
    return text if len(text) <= MAX_RAW else f"{text[:MAX_RAW]}…（共 {len(text)} 个字符）"
