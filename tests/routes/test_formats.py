"""Numbers, money, dates, sizes and typed dates follow the reader's locale (Babel), in
Tashkent time."""

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from forms.fields import date_placeholder, parse_date_input
from routes.template_helpers import format_money, format_number, format_size, local_dt

NBSP = "\u00a0"
MOMENT = datetime(2026, 12, 1, 16, 1, tzinfo=UTC)  # 21:01 in Tashkent


@pytest.mark.parametrize(
    "lang,money,when,size",
    [
        ("uz", f"2{NBSP}592{NBSP}000", "1-dek, 2026, 21:01", "53,5 kB"),
        ("ru", f"2{NBSP}592{NBSP}000", "1 дек. 2026\u202fг., 21:01", "53,5 кБ"),
        ("en", "2,592,000", "Dec 1, 2026, 9:01\u202fPM", "53.5 kB"),
    ],
)
def test_formats_follow_the_locale(app, lang, money, when, size):
    with app.test_request_context(), force_locale(lang):
        assert format_money(2_592_000) == money
        assert format_number(935_114).replace(NBSP, " ").replace(",", " ") == "935 114"
        assert local_dt(MOMENT) == when
        assert format_size(53_500) == size
        assert local_dt(MOMENT, "date") == when.rsplit(",", 1)[0]


def test_sizes_use_one_scale(app):
    with app.test_request_context(), force_locale("en"):
        assert format_size(1000) == "1 kB"
        assert format_size(2_500_000) == "2.5 MB"
        assert format_size(900).startswith("900 ")


@pytest.mark.parametrize(
    "lang,placeholder,typed",
    [
        ("uz", "dd/mm/yyyy", "05/12/2026"),
        ("ru", "dd.mm.yyyy", "05.12.2026"),
        ("en", "m/d/yyyy", "12/5/2026"),
    ],
)
def test_date_inputs_are_typed_in_the_locale_format(app, lang, placeholder, typed):
    with app.test_request_context(), force_locale(lang):
        assert date_placeholder() == placeholder
        assert parse_date_input(typed) == date(2026, 12, 5)
        assert parse_date_input("2026-12-05") == date(2026, 12, 5)  # links keep working
        assert parse_date_input("nonsense") is None


def test_stats_page_shows_dates_and_counts_in_the_admins_language(client, user_factory, auth):
    admin = user_factory(is_admin=True, language="ru")
    auth.login(admin.email)
    page = client.get("/admin/stats?date_from=01.11.2026&date_to=30.11.2026").data.decode()
    assert "С 1 нояб. 2026" in page and "С 2026-11-01" not in page
    assert 'value="01.11.2026"' in page and 'placeholder="dd.mm.yyyy"' in page
    assert 'type="date"' not in page


def test_a_bad_typed_date_is_ignored_with_a_translated_hint(client, user_factory, auth):
    admin = user_factory(is_admin=True, language="en")
    auth.login(admin.email)
    response = client.post("/admin/coupons", data={"percent": "10", "expires_on": "31/31/2026"})
    assert response.status_code in (200, 400)
    assert "Enter a date like m/d/yyyy." in response.data.decode()


def test_admin_log_amounts_and_dates_read_as_the_page_does(app):
    from models.admin_log import detail_value

    with app.test_request_context(), force_locale("ru"):
        assert detail_value("amount_due", 2_592_000) == f"2{NBSP}592{NBSP}000"
        assert detail_value("request_id", 12345) == 12345  # an id is not a quantity
        assert detail_value("period_end", MOMENT.isoformat()) == "1 дек. 2026\u202fг., 21:01"
