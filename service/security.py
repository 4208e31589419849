"""Security headers on every answer.

Scripts only from the app itself (no inline script anywhere); the API documentation page alone
allows inline styles, which Swagger UI sets on its elements.
"""

from __future__ import annotations

from flask import Flask, Response, request

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


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", CSP_DOCS if request.path == "/api/v1/docs" else CSP)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
