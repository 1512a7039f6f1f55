"""Tolerant readers: webhook bodies come from the internet, so never trust their shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def as_dict(value: Any) -> dict:
    """The value if it is a dict, else an empty dict."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    """The value if it is a list, else an empty list."""
    return value if isinstance(value, list) else []


# Longer than any real message of the three platforms (4096 characters at most): the rest of a
# hostile text is cut here, so storing it can never fail on the column or the database.
MAX_TEXT = 8192
# Platform ids are at most ~40 characters (wamid… ids are the longest); the columns hold 128.
MAX_ID = 128


def as_str(value: Any, limit: int = MAX_TEXT) -> str | None:
    """A non-empty string without NUL characters (PostgreSQL refuses them in text), clamped to
    `limit` characters, or None; numbers are not text."""
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "")[:limit]
    return value or None


def as_id(value: Any) -> str | None:
    """An identifier as a string: accepts str and int (not bool, which is an int in Python).
    An id longer than any platform's (a 300-digit chat id) is no id: the event is ignored."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value) if abs(value) < 10**MAX_ID else ""
    if isinstance(value, str) and value.strip() and len(value.strip()) <= MAX_ID:
        text = value.strip()
        return None if "\x00" in text else text
    return None


def to_datetime(value: Any, *, milliseconds: bool | None = None) -> datetime:
    """Platform epoch time (int/float/digit string; seconds or ms) as aware UTC, else now."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            value = None
    if isinstance(value, int | float) and value > 0:
        # Meta mixes seconds (WhatsApp, Instagram "changes" test payloads) and ms (Instagram).
        is_ms = milliseconds if milliseconds is not None else value > 100_000_000_000
        seconds = value / 1000.0 if is_ms else float(value)
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            pass
    return datetime.now(UTC)
