"""What the 窗口 (counter) form adds to the 测算 form: the person a quote is for, more schemes on one
quote, the issuing office, and the QR code that leads from the paper back to the stored quote.

The views stay in ``service.pages.views``; this module only reads the extra fields and draws the code.
"""

from __future__ import annotations

from typing import Any

import segno
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from calc.quote import SCHEMES
from service.counter.quotes import MAX_NAME, Applicant, check_id

# A person's own schemes, which one counter quote may put together (pension and medical, say);
# the outlet's work-injury premium is an employer's and is quoted on its own.
PERSONAL = ("flexible_pension", "flexible_medical", "resident_medical")


def person_values(form: MultiDict[str, str]) -> dict[str, Any]:
    """The counter's extra fields as typed, to put back into the form."""
    return {
        "applicant_name": form.get("applicant_name", "").strip()[:MAX_NAME],
        "applicant_id": form.get("applicant_id", "").strip()[:40],
        "id_in_full": form.get("id_in_full") == "1",
        "also": [code for code in form.getlist("also")[: len(PERSONAL)] if code in PERSONAL],
    }


def empty_person() -> dict[str, Any]:
    return {"applicant_name": "", "applicant_id": "", "id_in_full": False, "also": []}


def applicant(person: dict[str, Any]) -> tuple[Applicant, dict[str, str]]:
    """The person the quote is for, or the Chinese message of the field to fix."""
    number = None
    if person["applicant_id"]:
        try:
            number = check_id(person["applicant_id"])
        except ValueError as error:
            return Applicant(), {"applicant_id": str(error)}
    elif person["id_in_full"]:
        return Applicant(), {"applicant_id": "选择了“打印完整身份证号”，请填写公民身份号码，或取消该选项。"}
    return Applicant(person["applicant_name"] or None, number, person["id_in_full"]), {}


def schemes(main: str, also: list[str]) -> tuple[list[str], dict[str, str]]:
    """The schemes of one quote: the one chosen above, then each scheme ticked under 另加险种.

    Each is then read with its own choice from the form (``service.pages.calc_form.load_request``): a tier for a
    tiered scheme, what its city's rule takes for medical insurance, nothing for resident medical.
    """
    extra = [code for code in PERSONAL if code in also and code != main]
    if extra and main not in PERSONAL:
        return [], {"also": f"“{SCHEMES[main]}”由网点缴纳，须单独出具测算单：请取消另加险种。"}
    return [main, *extra], {}


def qr_svg(url: str) -> Markup:
    """The QR code of ``url`` as inline SVG, drawn here (segno), no network and no image file."""
    code = segno.make(url, error="m")
    # omitsize: a viewBox instead of fixed width and height, so that CSS scales the whole code; with a
    # fixed size and no viewBox, a narrower box cut off its right and bottom (issue 23: nothing scanned)
    svg = code.svg_inline(
        scale=4, border=4, dark="#000", light="#fff", omitsize=True, title="测算单二维码：扫码查看原件"
    )
    return Markup(svg)  # noqa: S704 - segno's own SVG of a URL we built; nothing of the user's is in it
