"""An amount in Chinese capitals (大写金额), as written on receipts and vouchers.

Follows 中国人民银行《支付结算办法》附件一《正确填写票据和结算凭证的基本规定》: 壹贰叁… with 拾佰仟万亿,
a leading 拾 written 壹拾, one 零 for any run of zeros inside the number, 整 after 元 when there are no
角 or 分, and 零 between 元 and 分 when 角 is zero (¥1,005.05: 壹仟零伍元零伍分). Amounts are exact
(Decimal, at most two decimals): nothing is rounded here.
"""

from __future__ import annotations

from decimal import Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
GROUP_UNITS = ("", "万", "亿", "万亿")
LIMIT = Decimal(10) ** 16  # 万亿 groups: far beyond any contribution


def _group(number: int) -> str:
    """0 < number < 10000 in capitals, with 零 for zeros inside but not at the end."""
    out, pending_zero = "", False
    for position in (3, 2, 1, 0):
        digit = number // 10**position % 10
        if digit == 0:
            pending_zero = pending_zero or bool(out)
            continue
        if pending_zero:
            out += DIGITS[0]
            pending_zero = False
        out += DIGITS[digit] + SMALL_UNITS[position]
    return out


def _yuan(number: int) -> str:
    groups = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    out, pending_zero = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = pending_zero or bool(out)
            continue
        if out and (pending_zero or group < 1000):
            out += DIGITS[0]  # 壹万零伍佰, 壹亿零伍万: a gap of zeros before this group
        pending_zero = False
        out += _group(group) + GROUP_UNITS[index]
    return out


def upper(amount: Decimal) -> str:
    """¥1,566.00 -> 壹仟伍佰陆拾陆元整; ¥0.50 -> 伍角; ¥10.05 -> 壹拾元零伍分."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"not an exact amount: {amount!r}")
    if amount < 0 or amount >= LIMIT:
        raise ValueError(f"amount out of range: {amount}")
    fen_total = amount * 100
    if fen_total != fen_total.to_integral_value():
        raise ValueError(f"more than two decimals: {amount}")
    fen_total = int(fen_total)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    if fen_total == 0:
        return "零元整"
    out = _yuan(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        return out + "整"
    if jiao:
        out += DIGITS[jiao] + "角"
    elif yuan:
        out += DIGITS[0]
    if fen:
        out += DIGITS[fen] + "分"
    return out
