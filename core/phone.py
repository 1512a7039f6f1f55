"""Uzbek phone numbers: accept what people type, store E.164, display +998 XX XXX XX XX."""

from __future__ import annotations

import re

import phonenumbers

_DIGITS = re.compile(r"\D+")


class PhoneError(ValueError):
    """The input is not a possible Uzbek mobile or landline number."""


def normalize_phone(raw: str) -> str:
    """Return +998XXXXXXXXX for an Uzbek number typed in any common way, else raise PhoneError."""
    text = (raw or "").strip()
    digits = _DIGITS.sub("", text)
    if not digits:
        raise PhoneError("empty")
    if text.startswith("+") or text.startswith("00"):
        digits = digits[2:] if text.startswith("00") else digits
        if not digits.startswith("998"):
            raise PhoneError("country")
    elif len(digits) == 12 and digits.startswith("998"):
        pass
    elif len(digits) == 9:
        digits = "998" + digits
    elif len(digits) == 10 and digits.startswith("8"):
        # Old domestic trunk prefix ("8 90 123 45 67") still typed by some people.
        digits = "998" + digits[1:]
    else:
        raise PhoneError("length")
    try:
        parsed = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError("invalid") from exc
    if parsed.country_code != 998:
        raise PhoneError("country")
    if not phonenumbers.is_valid_number(parsed):
        raise PhoneError("invalid")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    """Display form: +998 90 123 45 67 (anything unexpected is shown as stored)."""
    if not e164 or not re.fullmatch(r"\+998[0-9]{9}", e164):
        return e164 or ""
    d = e164[4:]
    return f"+998 {d[0:2]} {d[2:5]} {d[5:7]} {d[7:9]}"
