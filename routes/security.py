"""Request hardening shared by every view: security headers on each response, and a guard that
answers 400 to input no view should see (NUL bytes, absurd page numbers).

Headers are a small after_request rather than a library: Flask-Talisman's last release is from
2023, and the maintained `secure` package would only build the same dict of headers for us.
The policy is per response: a view that must be framed (a website widget) sets
`response.headers["Content-Security-Policy"]` itself, or calls `relax_framing`, and the hook
keeps what the view chose.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, request

# Only our own static files: no inline script or style, no other origin, never framed.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000; includeSubDomains"
# ?page= beyond this is no page anyone reached by clicking "next": 400, not an SQL overflow.
MAX_PAGE = 100_000
_PAGE = re.compile(r"[0-9]{1,6}")


def relax_framing(response: Response, ancestors: str) -> Response:
    """Let the given origins frame this one response (e.g. a website widget's iframe route)."""
    response.headers["Content-Security-Policy"] = CSP.replace(
        "frame-ancestors 'none'", f"frame-ancestors {ancestors}"
    )
    return response


def allow_form_targets(response: Response, urls: list[str]) -> Response:
    """Let this page's forms lead to these outside pages too (a checkout the form redirects
    to): browsers apply form-action to the redirect after a form is submitted."""
    origins = sorted({"{0.scheme}://{0.netloc}".format(urlsplit(url)) for url in urls if url})
    if origins:
        csp = response.headers.get("Content-Security-Policy", CSP)
        response.headers["Content-Security-Policy"] = csp.replace(
            "form-action 'self'", "form-action 'self' " + " ".join(origins)
        )
    return response


def _has_nul(values) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


def reject_bad_input() -> None:
    """400 for a NUL byte in the query string or a form field, or an out-of-range ?page=."""
    if _has_nul(request.args):
        abort(400)
    page = request.args.get("page")
    if page is not None and (not _PAGE.fullmatch(page) or int(page) > MAX_PAGE):
        abort(400)
    if (
        request.method == "POST"
        and request.mimetype
        in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        )
        and _has_nul(request.form)
    ):
        abort(400)


def add_security_headers(response: Response) -> Response:
    """Every response: CSP, nosniff, referrer policy, no framing; HSTS in production."""
    csp = response.headers.setdefault("Content-Security-Policy", CSP)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if "frame-ancestors 'none'" not in csp:
        del response.headers["X-Frame-Options"]  # the view allowed framing (relax_framing)
    if current_app.config.get("HSTS_ENABLED"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def register(app: Flask) -> None:
    app.before_request(reject_bad_input)
    app.after_request(add_security_headers)
