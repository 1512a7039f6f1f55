"""One error renderer for every code: errors/<code>.html, or JSON for webhooks and JSON clients."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from extensions import db
from kb.extract import FileParseError
from routes.helpers import is_xhr

log = logging.getLogger("bilimbot.errors")
PAGES = (400, 403, 404, 405, 413, 429, 500)


def _wants_json() -> bool:
    return (
        "/webhook" in request.path
        or request.path.startswith("/api/")
        or request.accept_mimetypes.best == "application/json"
        or request.is_json
    )


def render_error(code: int, description: str | None = None):
    """Render the page (or JSON) for an HTTP error code."""
    if _wants_json():
        return {"error": code}, code
    template = f"errors/{code if code in PAGES else 400 if code < 500 else 500}.html"
    return render_template(template, code=code, description=description), code


def _too_large_upload():
    """The upload page shows the limit in the user's language, in place (XHR) or as a flash."""
    message = str(FileParseError("too_large"))
    if is_xhr():
        return {"error": message}, 413
    flash(message, "danger")
    return redirect(url_for("kb.index"))


def log_server_error(exc: Exception, method: str, path: str) -> None:
    """Roll the session back and log an unhandled error (also for the webhooks' acknowledgement,
    routes/messaging_routes/webhooks.py, which answers without Flask's request machinery)."""
    db.session.rollback()
    if isinstance(exc, DBAPIError):
        # The driver's message can quote the statement with its values filled in (PostgreSQL
        # shows the failing line): log the error's first line and the traceback, never those.
        first = str(exc.orig).strip().splitlines()[0][:200] if exc.orig else ""
        log.error(
            "unhandled database error on %s %s: %s: %s\n%s",
            method,
            path,
            type(exc.orig).__name__,
            first,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
    else:
        log.exception("unhandled error on %s %s", method, path)


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_error(400, "csrf")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if exc.code == 413 and (request.endpoint or "").startswith("kb."):
            return _too_large_upload()
        return render_error(exc.code)

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        log_server_error(exc, request.method, request.path)
        return render_error(500)

    app.register_error_handler(InternalServerError, server_error)
