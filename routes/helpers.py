"""Small helpers shared by the views: safe redirects and load-or-404."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Request, abort, request
from flask_login import current_user, login_required

from extensions import db


def safe_next(target: str | None) -> str | None:
    """Accept only a same-site path ("/dashboard"), never a URL to another host."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


def get_owned_or_404(model, ident, owner_attr: str = "user_id"):
    """Load a row that belongs to the current owner; 404 for anything else (never 403)."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    if not current_user.is_admin and getattr(obj, owner_attr) != current_user.id:
        abort(404)
    return obj


def json_body(req: Request | None = None) -> Any:
    """The parsed JSON body of `req` (this request's by default), or None when it is missing,
    malformed or nested too deeply to parse (Python's json raises RecursionError there, which
    silent=True does not catch)."""
    try:
        return (request if req is None else req).get_json(silent=True)
    except RecursionError:
        return None


def json_text(field: str, limit: int) -> str:
    """A string field of the JSON (or form) body, stripped and clamped; "" for any other shape,
    so a list, a number or a nested object in the body is a clear 400, never a 500."""
    data = json_body() if request.is_json else request.form
    value = data.get(field) if isinstance(data, dict) else None  # a MultiDict is a dict too
    return value.replace("\x00", "").strip()[:limit] if isinstance(value, str) else ""


def is_xhr() -> bool:
    """The page's own scripts mark their requests; they get JSON or an empty answer, not pages."""
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def require_login(bp: Blueprint) -> None:
    """Every view of an owner blueprint needs a logged-in user (guarded once, at the blueprint)."""
    bp.before_request(login_required(lambda: None))
