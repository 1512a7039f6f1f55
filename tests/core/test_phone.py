"""Uzbek phone numbers: what people type → E.164, and the display form."""

import pytest

from core.phone import PhoneError, format_phone, normalize_phone


@pytest.mark.parametrize(
    "typed",
    [
        "+998 90 123 45 67",
        "+998901234567",
        "998901234567",
        "90 123-45-67",
        "90 123 45 67",
        "(90) 123-45-67",
        "+998 (90) 123-45-67",
        "00998901234567",
        "8 90 123 45 67",
        " 901234567 ",
    ],
)
def test_accepts_common_ways_of_typing(typed):
    assert normalize_phone(typed) == "+998901234567"


@pytest.mark.parametrize(
    "typed,expected",
    [
        ("+998 33 123 45 67", "+998331234567"),  # Humans
        ("+998 71 234 56 78", "+998712345678"),  # Tashkent landline
        ("99 765 43 21", "+998997654321"),
    ],
)
def test_other_operators_and_landlines(typed, expected):
    assert normalize_phone(typed) == expected


@pytest.mark.parametrize(
    "typed,reason",
    [
        ("+7 912 345 67 89", "country"),
        ("+1 202 555 0101", "country"),
        ("+998 00 123 45 67", "invalid"),
        ("+998 12 345 67 89", "invalid"),
        ("+99890123456", "invalid"),
        ("12345", "length"),
        ("", "empty"),
        ("phone", "empty"),
        ("90 123 45 67 89 00", "length"),
    ],
)
def test_rejects_other_countries_and_impossible_numbers(typed, reason):
    with pytest.raises(PhoneError) as info:
        normalize_phone(typed)
    assert str(info.value) == reason


def test_display_form():
    assert format_phone("+998901234567") == "+998 90 123 45 67"
    assert format_phone(None) == ""
    assert format_phone("+1234") == "+1234"
