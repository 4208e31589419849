"""Security headers on every answer; text no database can store refused before any view sees it.

Scripts only from the app itself (no inline script anywhere); the API documentation page alone
allows inline styles, which Swagger UI sets on its elements.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import BadRequest

from service.api.base import text_problem

FORMS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})

_POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
CSP = "; ".join(f"{k} {v}" for k, v in _POLICY.items())
CSP_DOCS = "; ".join(f"{k} {v}" for k, v in {**_POLICY, "style-src": "'self' 'unsafe-inline'"}.items())

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


# Pages that show accounts, the audit log or a person's quote: a shared computer's browser or a proxy
# must not keep them (the back button after logout would show them again).
PRIVATE_PREFIXES = ("/admin", "/api/v1/admin", "/login", "/logout", "/window/quote/")
HSTS = "max-age=31536000; includeSubDomains"


def _private(response: Response) -> bool:
    download = response.headers.get("Content-Disposition", "").lower().startswith("attachment")
    return download or request.path.startswith(PRIVATE_PREFIXES)


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", CSP_DOCS if request.path == "/api/v1/docs" else CSP)
    if _private(response):
        response.headers["Cache-Control"] = "no-store"  # every export, every administration page
    if current_app.config.get("PRODUCTION"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)  # production runs behind HTTPS only
    return response


def refuse_unstorable_text() -> None:
    """A query or form field with a NUL byte (PostgreSQL cannot store one) or another control character
    is refused in Chinese here, once, rather than failing in whichever query first meets it."""
    fields = [("查询参数", request.args)]
    if request.mimetype in FORMS and request.method != "GET":
        if request.mimetype != "multipart/form-data":
            request.get_data(cache=True)  # kept: a JSON route refuses this body itself (415), and must see it
        fields.append(("表单字段", request.form))
    for kind, values in fields:
        for raw_name, raw_value in values.items(multi=True):
            name, value = str(raw_name or ""), str(raw_value or "")  # a multipart part may come without a name
            problem = text_problem(name) or text_problem(value)
            if problem:
                error = BadRequest()
                shown = name if not text_problem(name) else "?"
                error.zh_message = f"{kind}“{shown[:40]}”{problem}"  # type: ignore[attr-defined]
                raise error


def init_app(app: Flask) -> None:
    app.before_request(refuse_unstorable_text)
    app.after_request(add_headers)
