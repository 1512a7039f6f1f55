"""In a real browser, on a phone, in English and in Russian: the account page's "alerts in
Telegram" section explains that a bot is needed, then gives a one-time deep link to the owner's
own bot; the owner presses Start in Telegram (the fake Bot API's webhook update), the page shows
the link, the alert switches are saved, and one button unlinks. No CSP violation, no sideways
scrolling."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models.channel import TelegramBot
from models.owner_alerts import AlertSettings
from tests.channel_fixtures import connect_all, tg_post
from tests.e2e.browser import screenshot
from tests.factories import PASSWORD
from tests.fakes import telegram as t

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
OWNER_CHAT = 700700700
TEXTS = {
    "en": {
        "heading": "Get alerts in Telegram",
        "need_bot": "Connect one first on the Channels page",
        "link": "Link my Telegram",
        "open": "Open @gullar_shop_bot in Telegram",
        "linked": "Linked",
        "confirmed": "Alerts are connected.",
        "save": "Save alert settings",
        "saved": "Your alert settings have been saved.",
        "unlink": "Unlink Telegram",
        "unlinked": "Telegram alerts are off.",
    },
    "ru": {
        "heading": "Уведомления в Telegram",
        "need_bot": "Сначала подключите его на странице «Каналы»",
        "link": "Подключить мой Telegram",
        "open": "Открыть @gullar_shop_bot в Telegram",
        "linked": "Подключено",
        "confirmed": "Уведомления подключены.",
        "save": "Сохранить настройки уведомлений",
        "saved": "Настройки уведомлений сохранены.",
        "unlink": "Отключить Telegram",
        "unlinked": "Уведомления в Telegram отключены.",
    },
}


def _log_in(page, login: str) -> None:
    page.goto("/auth/login")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def _fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_alerts_section_on_a_phone(browser, live_server, app, fakes, user_factory, language):
    tg, _ = fakes
    texts = TEXTS[language]
    owner = user_factory(language=language)
    context = browser.new_context(base_url=live_server.url, locale=f"{language}-UZ", viewport=PHONE)
    context.set_default_timeout(15000)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    try:
        _log_in(page, owner.email)
        page.goto("/auth/account")
        expect(page.locator("html")).to_have_attribute("lang", language)
        section = page.locator("#alerts")
        expect(section.get_by_role("heading", name=texts["heading"])).to_be_visible()
        expect(section.locator("#alerts-need-bot")).to_contain_text(texts["need_bot"])

        with app.app_context():
            connect_all(owner.id)
            secret = db.session.scalar(
                select(TelegramBot).where(TelegramBot.user_id == owner.id)
            ).secret_token
        page.reload()
        section.get_by_role("button", name=texts["link"]).click()
        deep_link = section.get_by_role("link", name=texts["open"])
        expect(deep_link).to_be_visible()
        href = deep_link.get_attribute("href")
        found = re.fullmatch(r"https://t\.me/gullar_shop_bot\?start=(al_[A-Za-z0-9_-]+)", href)
        assert found, href
        _fits_the_phone(page)
        screenshot(page, f"account-alerts-link-{language}-phone")

        # The owner presses Start in Telegram: the bot's webhook gets /start <code>.
        update = t.telegram_start_update(chat_id=OWNER_CHAT, payload=found[1])
        assert tg_post(app.test_client(), owner.id, update, secret).status_code == 200
        assert tg.sent_texts(OWNER_CHAT)[-1].startswith("✅ " + texts["confirmed"])
        page.reload()
        expect(section.locator("#alerts-linked")).to_contain_text(texts["linked"])
        expect(section.locator("#alerts-linked")).to_contain_text("@gullar_shop_bot")

        section.locator("#notify_summary").uncheck()
        section.locator("#summary_time").fill("08:30")
        section.get_by_role("button", name=texts["save"]).click()
        expect(page.locator(".alert")).to_contain_text(texts["saved"])
        expect(section.locator("#notify_summary")).not_to_be_checked()
        expect(section.locator("#notify_customers")).to_be_checked()
        expect(section.locator("#summary_time")).to_have_value("08:30")
        _fits_the_phone(page)
        screenshot(page, f"account-alerts-linked-{language}-phone")

        section.get_by_role("button", name=texts["unlink"]).click()
        expect(page.locator(".alert")).to_contain_text(texts["unlinked"])
        expect(section.get_by_role("button", name=texts["link"])).to_be_visible()
        with app.app_context():
            row = AlertSettings.find(owner.id)
            assert row.chat_id is None and row.summary_minute == 8 * 60 + 30
        assert violations == []
    finally:
        context.close()
