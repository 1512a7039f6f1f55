"""In a real browser: an owner on a phone logs out every other device (in English and in
Russian); the desktop session ends, the phone stays logged in, and no page breaks the CSP."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def _context(browser, live_server, locale, viewport=None):
    context = browser.new_context(
        base_url=live_server.url, locale=locale, viewport=viewport or {"width": 1280, "height": 900}
    )
    context.set_default_timeout(15000)
    return context


def _log_in(page, login: str) -> None:
    page.goto("/auth/login")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


@pytest.mark.parametrize(
    "language,button,done",
    [
        ("en", "Log out on all other devices", "logged out on all other devices"),
        ("ru", "Выйти на всех других устройствах", "на всех других устройствах"),
    ],
)
def test_log_out_on_other_devices_from_a_phone(
    browser, live_server, user_factory, language, button, done
):
    owner = user_factory(language=language)
    desktop_ctx = _context(browser, live_server, "uz-UZ")
    phone_ctx = _context(browser, live_server, f"{language}-UZ", PHONE)
    try:
        desktop, phone = desktop_ctx.new_page(), phone_ctx.new_page()
        violations: list[str] = []
        for p in (desktop, phone):
            p.on(
                "console",
                lambda m: "Content Security Policy" in m.text and violations.append(m.text),
            )
        _log_in(desktop, owner.email)
        _log_in(phone, owner.email)
        phone.goto("/auth/account")
        expect(phone.locator("html")).to_have_attribute("lang", language)
        phone.get_by_role("button", name=button).click()
        expect(phone.locator(".alert")).to_contain_text(done)
        screenshot(phone, f"account-sessions-{language}-phone")

        phone.goto("/dashboard")
        expect(phone).to_have_url(re.compile(r"/dashboard$"))  # this device stays logged in
        desktop.goto("/dashboard")
        expect(desktop).to_have_url(re.compile(r"/auth/login"))  # the other one is out
        for path in ("/knowledge-base/", "/channels", "/assistant/", "/conversations"):
            phone.goto(path)
        assert violations == []
    finally:
        desktop_ctx.close()
        phone_ctx.close()
