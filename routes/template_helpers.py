"""Template globals and filters from one place (templates display data; they do not query).
Numbers, money, dates and sizes are formatted by Babel for the reader's locale, in Tashkent
time (BABEL_DEFAULT_TIMEZONE)."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import get_datetime_format
from babel.units import format_unit
from flask import Flask, current_app, request
from flask_babel import format_date, format_datetime, format_decimal, format_time, get_locale
from flask_babel import lazy_gettext as _l

from core.phone import format_phone
from forms.fields import date_placeholder
from labels import LANGUAGE_NAMES, PLAN_LABELS, PLATFORM_LABELS, STATUS_LABELS
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
    "unchecked": (_l("Saved, not checked yet"), "text-bg-secondary"),
    "ok": (_l("Connected"), "text-bg-success"),
    "failed": (_l("Connection failed"), "text-bg-danger"),
}


def format_number(value: int | float | None) -> str:
    """A count grouped as the locale writes it: 2 592 000 (uz, ru), 2,592,000 (en)."""
    if value is None:
        return ""
    return format_decimal(value)


def format_money(amount: int | None) -> str:
    """A sum in whole soum, grouped for the locale; the unit comes from the sentence around
    it ("%(amount)s soum" → "2 592 000 soʻm", "2 592 000 сум", "2,592,000 soum")."""
    return format_number(amount)


def local_dt(value: datetime | date | None, fmt: str = "medium") -> str:
    """A UTC datetime shown in Asia/Tashkent in the current locale: "1-dek, 2026, 21:01",
    "1 дек. 2026 г., 21:01", "Dec 1, 2026, 9:01 PM"; "date" gives the date alone."""
    if value is None:
        return ""
    if fmt == "date" or not isinstance(value, datetime):
        return format_date(value, "medium")
    if fmt == "time":
        return format_time(value, "short")
    if fmt in ("medium", "short"):
        pattern = get_datetime_format("medium", locale=get_locale())
        return pattern.replace("{1}", format_date(value, "medium")).replace(
            "{0}", format_time(value, "short")
        )
    return format_datetime(value, fmt)


_UNITS = (("digital-byte", 1), ("digital-kilobyte", 1000), ("digital-megabyte", 1000**2))


def format_size(size: int | None) -> str:
    """A file size in the locale's words and decimal mark: "53,5 kB", "53,5 кБ", "53.5 kB"."""
    if size is None:
        return ""
    unit, scale = next(((u, s) for u, s in reversed(_UNITS) if size >= s), _UNITS[0])
    return format_unit(size / scale, unit, length="short", format="#,##0.#", locale=get_locale())


def health_badge(row) -> dict:
    """The label and badge class of a channel's health, the same on every page."""
    state = channel_health(row)
    label, css = CHANNEL_HEALTH[state]
    return {"state": state, "label": label, "css": css}


def register(app: Flask) -> None:
    app.jinja_env.filters["phone"] = format_phone
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["dt"] = local_dt
    app.jinja_env.filters["filesize"] = format_size
    app.jinja_env.filters["filesizeformat"] = format_size
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
            "message_status_labels": MESSAGE_STATUS_LABELS,
            "sender_labels": SENDER_LABELS,
            "health_badge": health_badge,
            "date_placeholder": date_placeholder,
            "has_endpoint": lambda name: name in current_app.view_functions,
            "request_path": request.full_path.rstrip("?") if request else "/",
        }
