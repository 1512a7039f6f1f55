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
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from werkzeug.routing import IntegerConverter

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
# (name, lower-cased name, value) of every response's defaults, CSP first.
_DEFAULTS = [(n, n.lower(), v) for n, v in [("Content-Security-Policy", CSP), *HEADERS.items()]]
# ?page= beyond this is no page anyone reached by clicking "next": 400, not an SQL overflow.
MAX_PAGE = 100_000
_PAGE = re.compile(r"[0-9]{1,6}")


# The largest id of a row of ours: PostgreSQL's INTEGER, the type of every id column except the
# webhook inbox's (BIGINT: `<bigint:...>`). A larger number in a URL is no row of ours.
MAX_ID = 2**31 - 1
MAX_BIGINT_ID = 2**63 - 1


class IdConverter(IntegerConverter):
    """The app's `<int:...>`: at most MAX_ID unless a rule says otherwise, so a larger number is
    404 from the router. Unbounded, it reached the database and failed there, a 500: "integer
    out of range" on PostgreSQL, an overflow past 2**63 on SQLite."""

    limit = MAX_ID

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", self.limit)
        super().__init__(map, *args, **kwargs)


class BigIdConverter(IdConverter):
    """`<bigint:...>`: the id of a BIGINT column."""

    limit = MAX_BIGINT_ID


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
    """Every response: CSP, nosniff, referrer policy, no framing; HSTS in production. A header
    the view set is kept. One pass over the response's headers (a webhook's acknowledgement is
    answered hundreds of times a second: werkzeug's setdefault scans them once per header)."""
    headers = response.headers
    present = {name.lower() for name in headers.keys()}  # noqa: SIM118 (Headers, not a dict)
    missing = [(name, value) for name, lower, value in _DEFAULTS if lower not in present]
    if current_app.config.get("HSTS_ENABLED") and "strict-transport-security" not in present:
        missing.append(("Strict-Transport-Security", HSTS))
    if "frame-ancestors 'none'" not in headers.get("Content-Security-Policy", CSP):
        # The view allowed framing (relax_framing).
        missing = [(name, value) for name, value in missing if name != "X-Frame-Options"]
        headers.pop("X-Frame-Options", None)
    headers.extend(missing)
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once for the current
    secret keys instead of on every request's open and save."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        found = self._serializers.get(keys)
        if found is None:
            found = super().get_signing_serializer(app)
            self._serializers = {keys: found}  # only the keys in use: a rotation drops the old
        return found


def register(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.before_request(reject_bad_input)
    app.after_request(add_security_headers)
