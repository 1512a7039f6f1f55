"""In a real browser: the owner's statistics (every chart drawn, a bad range explained, the CSV
downloaded) and inbox (search count and highlighted snippet, filters, the navbar's unread count
updating without a reload and pausing in a hidden tab, saved replies inserted into the reply
box), in Russian, Uzbek and English, and on a 390x844 phone without sideways scrolling."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from extensions import db
from models.base import utcnow
from models.conversation import Conversation
from tests.e2e.browser import screenshot, switch_language
from tests.factories import PASSWORD
from tests.routes.admin.helpers import add_conversation

pytestmark = pytest.mark.e2e
NO_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
CHARTS = (
    "chart-conversations",
    "chart-messages",
    "chart-customers",
    "chart-answered",
    "chart-hours",
)
PHONE = {"width": 390, "height": 844}


def _login(page, user, lang: str):
    page.context.add_cookies(
        [{"name": "lang", "value": lang, "url": page.url or "http://127.0.0.1"}]
    )
    page.goto("/auth/login")
    page.fill("#login", user.email)
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("html")).to_have_attribute("lang", lang)


def _seed(app, user_id: int) -> dict:
    with app.app_context():
        ids = {
            "delivery": add_conversation(
                user_id,
                texts=("Salom", "Chilonzorga yetkazib berish bormi?"),
                reply="Ha, bor.",
                customer_ref="1",
                name="Ali Valiyev",
            ),
            "price": add_conversation(
                user_id,
                "whatsapp",
                account_ref="wa",
                texts=("Сколько стоит доставка?",),
                language="ru",
                customer_ref="2",
                name="Андрей Смирнов",
                hours_ago=30,
            ),
        }
        db.session.get(Conversation, ids["price"]).pause(60)
        db.session.commit()
    return ids


def test_statistics_in_russian_and_on_a_phone_in_uzbek(page, app, user_factory):
    user = user_factory(language="ru")
    _seed(app, user.id)
    page.goto("/")
    _login(page, user, "ru")
    page.get_by_role("link", name="Статистика").first.click()
    expect(page).to_have_url(re.compile(r"/statistics$"))
    expect(page.locator("h1")).to_have_text("Статистика")
    for chart in CHARTS:
        page.wait_for_function(
            "id => !!(window.Chart && Chart.getChart(document.getElementById(id)))", arg=chart
        )
    expect(page.locator("#total-customers")).to_have_text("2")
    expect(page.locator("#table-answered tr[data-key=bot]")).to_contain_text("Ответил бот")
    expect(page.locator("#top-questions")).to_contain_text("доставка")
    expect(page.locator("#table-messages tbody tr")).to_have_count(30)
    screenshot(page, "owner-stats-ru")
    for width in (1280, 1366):  # the menu with Statistics in it still fits the laptop screens
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(NO_SCROLL), width
    page.set_viewport_size({"width": 1280, "height": 900})

    with page.expect_download() as download:
        page.locator("#export-csv").click()
    path = download.value.path()
    with open(path, encoding="utf-8-sig") as f:
        body = f.read()
    assert (
        body.startswith("Диалог,Канал,Клиент")
        and ",Кто написал," in body
        and "Андрей Смирнов" in body
    )

    page.fill("#date_from", "2026-05-10")
    page.fill("#date_to", "2026-05-01")
    page.locator("#stats-range button[type=submit]").click()
    expect(page.locator("#range-errors")).to_contain_text("Дата начала позже даты окончания")
    expect(page.locator("#table-messages tbody tr")).to_have_count(30)

    switch_language(page, "uz")  # from the desktop menu, then the phone
    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator("h1")).to_have_text("Statistika")
    page.wait_for_function(
        "!!(window.Chart && Chart.getChart(document.getElementById('chart-hours')))"
    )
    assert page.evaluate(NO_SCROLL)
    screenshot(page, "owner-stats-uz-phone")


def test_inbox_search_filters_unread_and_saved_replies(page, app, user_factory):
    user = user_factory(language="en")
    ids = _seed(app, user.id)
    app.config["UNREAD_POLL_SECONDS"] = 1
    try:
        page.goto("/")
        _login(page, user, "en")
        badge = page.locator("#unread-badge")
        expect(badge).to_have_text("2")  # counted without opening the inbox

        page.goto("/conversations")
        page.fill("#q", "chilonzor")
        page.locator("#conversation-filters button[type=submit]").click()
        expect(page.locator("#result-count")).to_have_text("1 conversation found")
        expect(page.locator(".search-snippet mark")).to_have_text("Chilonzor")
        expect(page.locator(".search-snippet")).not_to_contain_text("Ha, bor")

        page.goto("/conversations")
        page.select_option("#status", "paused")
        page.locator("#conversation-filters button[type=submit]").click()
        expect(page.locator(".conversation-row")).to_have_count(1)
        expect(page.locator(".conversation-row")).to_contain_text("Андрей Смирнов")
        expect(page.locator(".conversation-row.unread")).to_have_count(1)

        # A new customer message while the page is open: the count follows without a reload.
        with app.app_context():
            add_conversation(user.id, customer_ref="3", name="Dilnoza", hours_ago=0.01)
        expect(badge).to_have_text("3")

        # A hidden tab stops asking; shown again, it asks at once.
        asked = []
        page.on(
            "request", lambda r: asked.append(r.url) if "/conversations/unread" in r.url else None
        )
        page.evaluate(
            "Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});"
            "document.dispatchEvent(new Event('visibilitychange'))"
        )
        page.wait_for_timeout(2500)  # more than two polling intervals
        assert asked == []
        with page.expect_request(re.compile(r"/conversations/unread")):
            page.evaluate(
                "Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});"
                "document.dispatchEvent(new Event('visibilitychange'))"
            )

        # Saved replies: save one, insert it into the reply box, send it.
        page.goto("/conversations")
        page.locator("#canned-link").click()
        page.fill("#title", "Delivery")
        page.fill("#text", "We deliver across Tashkent tomorrow.")
        page.locator("#canned-form button[type=submit]").click()
        expect(page.locator("#canned-list .canned-item")).to_have_count(1)
        page.goto(f"/conversations/{ids['delivery']}")
        expect(badge).to_have_text("2")  # this one is read now
        page.fill("#text", "Hello! ")
        page.locator("#text").press("End")
        page.select_option("#canned-select", label="Delivery")
        expect(page.locator("#text")).to_have_value("Hello! We deliver across Tashkent tomorrow.")
        screenshot(page, "inbox-canned-en")
    finally:
        app.config["UNREAD_POLL_SECONDS"] = 30


def test_inbox_pages_fit_a_phone_in_uzbek_and_russian(page, app, user_factory):
    user = user_factory(language="uz")
    ids = _seed(app, user.id)
    with app.app_context():
        conv = db.session.get(Conversation, ids["delivery"])
        conv.last_inbound_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
    page.set_viewport_size(PHONE)
    page.goto("/")
    _login(page, user, "uz")
    page.goto("/canned-replies")
    page.fill("#title", "Yetkazib berish")
    page.fill("#text", "Ertaga Toshkent bo‘ylab yetkazamiz.")
    page.locator("#canned-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("Javob saqlandi")
    edit_path = page.locator("#canned-list a").first.get_attribute("href")
    for lang in ("uz", "ru"):
        if lang != "uz":
            page.set_viewport_size({"width": 1280, "height": 900})
            switch_language(page, lang)
            page.set_viewport_size(PHONE)
        for path in (
            "/conversations?q=yetkazib",
            "/conversations?status=unread",
            f"/conversations/{ids['delivery']}",
            "/canned-replies",
            edit_path,
            "/statistics",
        ):
            page.goto(path)
            expect(page.locator("html")).to_have_attribute("lang", lang)
            assert page.evaluate(NO_SCROLL), (lang, path)
            if path.startswith("/conversations?q"):
                screenshot(page, f"inbox-list-phone-{lang}")
        screenshot(page, f"inbox-phone-{lang}")
    page.goto("/conversations?q=yetkazib")
    expect(page.locator("#result-count")).to_contain_text("1")
    expect(page.locator(".search-snippet mark")).to_have_text("yetkazib")
