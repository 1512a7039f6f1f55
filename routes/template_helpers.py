"""Template globals and filters from one place (templates display data; they do not query)."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, request
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l

from core.phone import format_phone
from labels import LANGUAGE_NAMES, PLAN_LABELS, PLATFORM_ICONS, PLATFORM_LABELS, STATUS_LABELS

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


def format_money(amount: int | None) -> str:
    """UZS with thin grouping, as written in Uzbekistan: 1 250 000 so‘m."""
    if amount is None:
        return ""
    return f"{amount:,}".replace(",", "\u00a0")


def customer_label(conv) -> str:
    """Who the owner is talking to: the name the platform gave, else its id; a website visitor
    has only a random id, shown short."""
    if conv.customer_name:
        return conv.customer_name
    if conv.platform == "web-widget":
        return str(_l("Visitor %(code)s", code=conv.customer_ref[:6]))
    return conv.customer_ref


def local_dt(value: datetime | None, fmt: str = "short") -> str:
    """A UTC datetime shown in Asia/Tashkent in the current locale."""
    if value is None:
        return ""
    return format_datetime(value, fmt)


def register(app: Flask) -> None:
    app.jinja_env.filters["phone"] = format_phone
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["dt"] = local_dt
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
            "platform_icons": PLATFORM_ICONS,
            "message_status_labels": MESSAGE_STATUS_LABELS,
            "sender_labels": SENDER_LABELS,
            "media_labels": MEDIA_LABELS,
            "has_endpoint": lambda name: name in current_app.view_functions,
            "request_path": request.full_path.rstrip("?") if request else "/",
        }
