"""Template globals and filters from one place (templates display data; they do not query).
Numbers, money, dates and sizes come from core/formats.py (Babel, the reader's locale, Tashkent
time)."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from core.formats import format_money, format_number, format_size, local_dt
from core.phone import format_phone
from forms.fields import date_placeholder
from labels import (
    AI_PROVIDER_LABELS,
    LANGUAGE_NAMES,
    PLAN_LABELS,
    PLATFORM_ICONS,
    PLATFORM_LABELS,
    STATUS_LABELS,
)
from models.channel import channel_health

MESSAGE_STATUS_LABELS = {
    "received": _l("Received"),
    "processing": _l("Processing"),
    "answered": _l("Answered"),
    "not_served": _l("Not served (no active plan)"),
    "ignored": _l("Ignored"),
    "too_old": _l("Too old to answer"),
    "paused": _l("Bot paused"),
    "rate_limited": _l("Too many messages (asked to wait)"),
    "pending": _l("Sending"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "read": _l("Read"),
    "failed": _l("Failed"),
}
# The marker on a message the bot read from its media (models.conversation.Message.media_marker).
MEDIA_LABELS = {"voice": _l("Voice message"), "photo": _l("Photo")}
SENDER_LABELS = {
    "customer": _l("Customer"),
    "bot": _l("Bot"),
    "owner": _l("You"),
    "admin": _l("Admin"),
    "system": _l("System"),
}
# One notion of a channel's health (models.channel.channel_health): its words and badge colour.
CHANNEL_HEALTH = {
    "none": (_l("Not connected"), "text-bg-light border"),
    "off": (_l("Switched off"), "text-bg-light border"),
    "unchecked": (_l("Saved, not checked yet"), "text-bg-secondary"),
    "ok": (_l("Connected"), "text-bg-success"),
    "failed": (_l("Connection failed"), "text-bg-danger"),
}


def health_badge(row) -> dict:
    """The label and badge class of a channel's health, the same on every page."""
    state = channel_health(row)
    label, css = CHANNEL_HEALTH[state]
    return {"state": state, "label": label, "css": css}


def customer_label(conv) -> str:
    """Who the owner is talking to: the name the platform gave, else its id; a website visitor
    has only a random id, shown short."""
    if conv.customer_name:
        return conv.customer_name
    if conv.platform == "web-widget":
        return str(_l("Visitor %(code)s", code=conv.customer_ref[:6]))
    return conv.customer_ref


def register(app: Flask) -> None:
    app.jinja_env.filters["phone"] = format_phone
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["dt"] = local_dt
    app.jinja_env.filters["filesize"] = format_size
    app.jinja_env.filters["filesizeformat"] = format_size
    app.jinja_env.filters["customer"] = customer_label
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def inject_globals() -> dict:
        locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
        return {
            "current_locale": locale,
            "language_names": LANGUAGE_NAMES,
            "status_labels": STATUS_LABELS,
            "plan_labels": PLAN_LABELS,
            "platform_labels": PLATFORM_LABELS,
            "ai_provider_labels": AI_PROVIDER_LABELS,
            "platform_icons": PLATFORM_ICONS,
            "message_status_labels": MESSAGE_STATUS_LABELS,
            "sender_labels": SENDER_LABELS,
            "health_badge": health_badge,
            "date_placeholder": date_placeholder,
            "media_labels": MEDIA_LABELS,
            "has_endpoint": lambda name: name in current_app.view_functions,
            "request_path": request.full_path.rstrip("?") if request else "/",
        }
