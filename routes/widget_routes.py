"""The website chat: the page the owner's site shows in an iframe, and its small JSON API.

A visitor of the owner's site has no login, no cookie of ours and no CSRF token, so the
blueprint is exempt from CSRF (below) and guarded otherwise: the widget's key names the owner
(unknown or switched off: 404); the page may be framed only by the owner's sites (CSP
frame-ancestors, routes/security.py `relax_framing`); every API request must carry the Origin of
our own pages (the iframe) or of one of those sites; and requests are rate-limited per address.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, jsonify, make_response, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from sqlalchemy import select

from channels.widget import (
    frame_ancestors,
    origin_allowed,
    valid_client_id,
    valid_visitor,
)
from extensions import csrf, db, limiter
from models.ai_config import AIConfig
from models.channel import WebWidget
from pipeline import widget as chat
from pipeline.dispatch import notify
from routes.helpers import json_body
from routes.security import relax_framing

bp = Blueprint("widget", __name__, url_prefix="/widget")
csrf.exempt(bp)

MAX_TEXT = 2000
API_ENDPOINTS = ("widget.send", "widget.updates")


def _send_limit() -> str:
    return current_app.config["WIDGET_RATE_LIMIT"]


def _poll_limit() -> str:
    return current_app.config["WIDGET_POLL_RATE_LIMIT"]


def _per_address() -> str:
    # Per address and widget: one busy shop's visitors never use up another shop's budget.
    return f"{get_remote_address()}:{(request.view_args or {}).get('key', '')}"


def _language(value: str | None) -> str | None:
    return value if value in current_app.config["LANGUAGES"] else None


def _widget(key: str) -> WebWidget | None:
    if "widget" not in g:
        g.widget = db.session.scalar(
            select(WebWidget).where(WebWidget.widget_key == key, WebWidget.enabled.is_(True))
        )
    return g.widget


def _fail(code: int, message: str):
    abort(make_response(jsonify(error=message), code))


@bp.get("/<key>")
def frame(key: str):
    """The chat itself, in the visitor's browser language; framed only by the owner's sites."""
    widget = _widget(key)
    if widget is None:
        abort(404)
    cfg = AIConfig.for_user(widget.user_id)
    db.session.commit()
    lang = (
        _language(request.args.get("lang"))
        or request.accept_languages.best_match(current_app.config["LANGUAGES"])
        or cfg.default_language
    )
    with force_locale(lang):
        html = render_template(
            "widget/frame.html",
            widget=widget,
            lang=lang,
            bot_name=cfg.bot_name,
            # A fresh random id, kept by the page in its localStorage unless it has one already.
            new_visitor=secrets.token_urlsafe(18),
            max_text=MAX_TEXT,
        )
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return relax_framing(response, frame_ancestors(widget.allowed_origins))


def _own_hosts() -> set[str]:
    """Our host names: this request's, and the public address pages are served from."""
    public = urlsplit(current_app.config["WEBHOOK_BASE_URL"]).netloc
    return {request.host} | ({public} if public else set())


def _api_request(key: str) -> tuple[WebWidget, dict, str]:
    """The widget, the JSON body and the visitor id of an API request, or a JSON error."""
    widget = _widget(key)
    if widget is None:
        _fail(404, _("This chat is not available."))
    if not origin_allowed(request.headers.get("Origin"), widget.allowed_origins, _own_hosts()):
        _fail(403, _("This website may not use this chat."))
    request.max_content_length = current_app.config["WIDGET_MAX_BYTES"]
    data = json_body() if request.is_json else None
    if not isinstance(data, dict):
        _fail(400, _("Send a JSON object."))
    visitor = valid_visitor(data.get("visitor"))
    if visitor is None:
        _fail(400, _("The visitor id is missing or not valid."))
    return widget, data, visitor


@bp.post("/<key>/messages")
@limiter.limit(_send_limit, key_func=_per_address)
def send(key: str):
    """A visitor's message: stored once (by its client id), then answered by the worker."""
    widget, data, visitor = _api_request(key)
    client_id = valid_client_id(data.get("id"))
    if client_id is None:
        _fail(400, _("The message id is missing or not valid."))
    text = data.get("text")
    text = text.replace("\x00", "").strip() if isinstance(text, str) else ""
    if not text or len(text) > MAX_TEXT:
        _fail(400, _("Write a message of up to %(n)s characters.", n=MAX_TEXT))
    waiting = chat.receive(widget, visitor, client_id, text, _language(data.get("lang")))
    db.session.commit()
    notify(waiting)
    return {"ok": True, "duplicate": not waiting}, 202


@bp.post("/<key>/updates")
@limiter.limit(_poll_limit, key_func=_per_address)
def updates(key: str):
    """What the visitor's page has not shown yet: its own messages, the bot's and the owner's."""
    widget, data, visitor = _api_request(key)
    after = data.get("after", 0)
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after < 2**53:
        _fail(400, _("The cursor is not valid."))
    return chat.updates(widget, visitor, after).as_json()


@bp.errorhandler(429)
def too_fast(exc):
    return {"error": _("You are sending messages too fast. Please wait a minute.")}, 429


@bp.errorhandler(413)
def too_large(exc):
    return {"error": _("Write a message of up to %(n)s characters.", n=MAX_TEXT)}, 413


@bp.after_request
def allow_owner_sites(response):
    """The owner's own site may call the API directly too (CORS, for its listed origins only)."""
    origin = request.headers.get("Origin")
    if request.endpoint not in API_ENDPOINTS or not origin:
        return response
    widget = _widget((request.view_args or {}).get("key", ""))
    if widget is not None and origin in widget.allowed_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Max-Age"] = "600"
    response.vary.add("Origin")
    return response
