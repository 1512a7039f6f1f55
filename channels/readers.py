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


def as_str(value: Any) -> str | None:
    """A non-empty string, or None; numbers are not text."""
    return value if isinstance(value, str) and value != "" else None


def as_id(value: Any) -> str | None:
    """An identifier as a string: accepts str and int (not bool, which is an int in Python)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
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
