"""In a real browser: the admin finds an owner by phone number and bans them (the owner's next
login is refused), sees the statistics charts drawn, publishes an announcement that an owner
reads in Russian on their dashboard and closes, and retries a webhook delivery that could not be
stored, in Russian on a phone."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models.conversation import Conversation, Message
from models.inbox import WebhookDelivery
from pipeline import inbox
from tests.e2e.browser import screenshot
from tests.factories import PASSWORD
from tests.fakes import telegram as t

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
CHARTS = (
    "chart-registrations",
    "chart-messages",
    "chart-outcomes",
    "chart-platforms",
    "chart-conversion",
    "chart-tokens",
)


def log_in(page, login: str, password: str = PASSWORD) -> None:
    page.goto("/auth/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.locator("#login-form button[type=submit]").click()


def other_page(browser, live_server, locale: str = "uz-UZ"):
    context = browser.new_context(base_url=live_server.url, locale=locale)
    context.set_default_timeout(15000)
    return context, context.new_page()


@pytest.fixture
def admin(user_factory):
    return user_factory(
        name="Platform Admin", is_admin=True, language="en", email="root@bilimbot.uz"
    )


def test_admin_finds_an_owner_by_phone_and_bans_them(
    page, browser, live_server, admin, user_factory
):
    user_factory(name="Jasur Qodirov", phone="+998935551122", email="jasur@example.uz")
    user_factory(name="Madina Saidova", phone="+998901112233")
    log_in(page, admin.email)
    expect(page).to_have_url(re.compile(r"/admin/$"))
    page.locator(".admin-nav").get_by_role("link", name="Users").click()
    expect(page.locator("#users-table tbody tr")).to_have_count(2)

    page.fill("#q", "93 555 11 22")
    page.locator("#user-filters button[type=submit]").click()
    rows = page.locator("#users-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("+998 93 555 11 22")
    rows.first.get_by_role("link", name="Jasur Qodirov").click()
    expect(page.locator("#user-phone")).to_have_text("+998 93 555 11 22")

    page.fill("#reason", "Spam reklama")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#ban-form button[type=submit]").click()
    expect(page.locator("#ban-notice")).to_contain_text("Spam reklama")
    expect(page.locator("#status-badge")).to_have_text("Banned")
    expect(page.locator("#admin-log")).to_contain_text("Blocked an owner")
    screenshot(page, "admin-user-banned")

    context, owner_page = other_page(browser, live_server)
    log_in(owner_page, "93 555 11 22")
    expect(owner_page).to_have_url(re.compile(r"/auth/login"))
    expect(owner_page.locator(".flash-stack .alert-danger")).to_be_visible()
    context.close()


def test_stats_page_draws_every_chart(page, app, admin, user_factory):
    owner = user_factory(status="paid")
    with app.app_context():
        conv = Conversation(
            user_id=owner.id,
            platform="telegram",
            account_ref="1",
            customer_ref="42",
            customer_name="Ali",
            language="uz",
        )
        db.session.add(conv)
        db.session.flush()
        db.session.add_all(
            [
                Message(
                    conversation_id=conv.id,
                    user_id=owner.id,
                    platform="telegram",
                    account_ref="1",
                    direction="in",
                    sender="customer",
                    text="Salom",
                    status="answered",
                ),
                Message(
                    conversation_id=conv.id,
                    user_id=owner.id,
                    platform="telegram",
                    account_ref="1",
                    direction="out",
                    sender="bot",
                    text="Assalomu alaykum",
                    status="sent",
                    provider="gemini",
                    model="m",
                    tokens_in=500,
                    tokens_out=40,
                ),
            ]
        )
        db.session.commit()
    log_in(page, admin.email)
    page.goto("/admin/stats")
    for chart in CHARTS:
        expect(page.locator(f"canvas#{chart}")).to_be_visible()
        page.wait_for_function(
            "id => !!(window.Chart && Chart.getChart(document.getElementById(id)))", arg=chart
        )
    expect(page.locator("#top-platform")).to_have_text("Telegram")
    expect(page.locator("#table-tokens")).to_contain_text("Gemini")
    screenshot(page, "admin-stats")
    page.fill("#date_from", "2026-01-01")
    page.fill("#date_to", "2026-01-31")
    page.locator("#stats-range button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"date_from=2026-01-01"))
    expect(page.locator("#table-registrations tbody tr")).to_have_count(31)


def test_announcement_reaches_an_owner_in_russian_and_can_be_closed(
    page, browser, live_server, admin, user_factory
):
    owner = user_factory(name="Наталья Ким", language="ru", email="natalya@example.uz")
    log_in(page, admin.email)
    page.goto("/admin/announcements")
    page.fill("#subject_uz", "Yangi imkoniyat")
    page.fill("#body_uz", "Endi botingiz Instagram’da ham javob beradi.")
    page.locator("summary", has_text="Russian").click()
    page.fill("#subject_ru", "Новая возможность")
    page.fill("#body_ru", "Теперь ваш бот отвечает и в Instagram.")
    page.select_option("#audience", "all")
    page.locator("#announcement-form button[type=submit]").click()
    expect(page.locator("#announcements-table tbody tr").first).to_contain_text("Yangi imkoniyat")

    context, owner_page = other_page(browser, live_server, locale="ru-RU")
    log_in(owner_page, owner.email)
    expect(owner_page).to_have_url(re.compile(r"/dashboard$"))
    banner = owner_page.locator(".announcement-banner")
    expect(banner).to_have_count(1)
    expect(banner.locator(".announcement-subject")).to_have_text("Новая возможность")
    expect(banner).to_contain_text("Теперь ваш бот отвечает и в Instagram.")
    expect(owner_page.locator("html")).to_have_attribute("lang", "ru")
    screenshot(owner_page, "owner-announcement-ru")
    owner_page.wait_for_load_state("load")  # dismissal is scripted: let the scripts run first
    banner.locator("button.btn-close").click()
    expect(owner_page.locator(".announcement-banner")).to_have_count(0)
    owner_page.reload()
    expect(owner_page.locator(".announcement-banner")).to_have_count(0)
    context.close()


def test_a_delivery_that_could_not_be_stored_is_retried_from_a_phone_in_russian(
    browser, live_server, app, fakes, shop, user_factory
):
    """The failed-jobs page lists a webhook delivery that was kept but not stored (its error
    shown), and its Retry stores the customer's message."""
    admin = user_factory(name="Админ", is_admin=True, language="ru", email="ru-root@bilimbot.uz")
    update = t.telegram_text_update("Доставка в Самарканд есть?", chat_id=555000888)
    with app.app_context():
        db.session.add(
            WebhookDelivery(
                platform="telegram",
                user_id=shop.id,
                account_ref="987654321",
                body=json.dumps(update).encode(),
                attempts=inbox.MAX_ATTEMPTS,
                error="ValueError: a parser bug",
            )
        )
        db.session.commit()
    context = browser.new_context(base_url=live_server.url, locale="ru-RU", viewport=PHONE)
    context.set_default_timeout(15000)
    page = context.new_page()
    log_in(page, admin.email)
    page.goto("/admin/jobs")
    row = page.locator("#deliveries-table tbody tr[data-delivery]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Telegram")
    expect(row).to_contain_text("ValueError: a parser bug")
    expect(page.get_by_role("heading", name="Несохранённые доставки вебхуков")).to_be_visible()
    screenshot(page, "admin-failed-deliveries-ru-phone")
    row.get_by_role("button", name="Повторить").click()
    expect(page.locator(".alert-success")).to_contain_text("Доставка будет сохранена повторно.")
    expect(page.locator("#deliveries-table")).to_contain_text("Все доставки сохранены.")
    with app.app_context():
        texts = db.session.scalars(select(Message.text).where(Message.direction == "in")).all()
        assert texts == ["Доставка в Самарканд есть?"]
    context.close()
