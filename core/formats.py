"""Numbers, money, dates and sizes for the reader's locale (Babel), in Tashkent time
(BABEL_DEFAULT_TIMEZONE). Registered as template filters by routes/template_helpers.py; models
that word something for a page (the admin log) use them too."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import get_datetime_format
from babel.units import format_unit
from flask_babel import format_date, format_datetime, format_decimal, format_time, get_locale


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
