"""Date fields written the way the reader's locale writes dates.

A native <input type="date"> shows the browser's format (mm/dd/yyyy in most Chromium builds,
whatever the page's language), so dates are typed in a text input in the locale's own short
pattern with a four-digit year: 01/12/2026 (uz, CLDR), 01.12.2026 (ru), 12/1/2026 (en).
ISO dates (2026-12-01) are accepted too, so links and bookmarks keep working."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import get_date_format, parse_date
from flask_babel import format_date, get_locale
from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.widgets import TextInput


def date_pattern() -> str:
    """The locale's short date pattern with the year in full (dd.MM.yyyy in Russian)."""
    pattern = get_date_format("short", locale=get_locale()).pattern
    return pattern.replace("yyyy", "y").replace("yy", "y").replace("y", "yyyy")


def date_placeholder() -> str:
    """The pattern as a reader recognises it: dd.mm.yyyy, m/d/yyyy."""
    return date_pattern().lower()


def parse_date_input(text: str | None) -> date | None:
    """A typed date in the locale's pattern or ISO; None when empty or not a date."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        pass
    try:
        return parse_date(text, locale=get_locale(), format="short")
    except (ValueError, IndexError):
        return None


def format_date_input(value: date | None) -> str:
    return format_date(value, date_pattern()) if value else ""


class LocaleDateField(Field):
    """A date typed in the reader's format (see the module docstring)."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "numeric", "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def __call__(self, **kwargs):
        kwargs.setdefault("placeholder", date_placeholder())
        return super().__call__(**kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_date_input(self.data)

    def process_formdata(self, valuelist):
        if not valuelist or not (valuelist[0] or "").strip():
            self.data = None
            return
        self.data = parse_date_input(valuelist[0])
        if self.data is None:
            raise ValueError(_l("Enter a date like %(example)s.", example=date_placeholder()))
