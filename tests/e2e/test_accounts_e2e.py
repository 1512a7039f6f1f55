"""In a real browser: register in Uzbek, see the trial countdown, switch to Russian, log out,
log in with the phone number; an owner whose trial ended sees Request access."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import open_menu, screenshot, switch_language
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def test_register_in_uzbek_switch_to_russian_logout_login_by_phone(page):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "uz")
    page.get_by_role("link", name=re.compile("Bepul sinov|sinov", re.I)).first.click()
    page.fill("#full_name", "Aziz Toshmatov")
    page.fill("#phone", "90 123 45 67")
    page.fill("#email", "aziz@example.uz")
    page.fill("#password", "juda-xavfsiz-parol")
    page.fill("#confirm", "juda-xavfsiz-parol")
    page.locator("#register-form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/dashboard$"))
    countdown = page.locator("#trial-countdown")
    expect(countdown).to_be_visible()
    expect(countdown).to_have_text(re.compile(r"^2 \S+ 23 \S+ \d+ \S+$|^3 \S+ 0 \S+ 0 \S+$"))
    expect(page.locator("html")).to_have_attribute("lang", "uz")
    screenshot(page, "dashboard-uz")

    switch_language(page, "ru")
    expect(page.locator("h1")).to_contain_text("Здравствуйте")
    screenshot(page, "dashboard-ru")

    open_menu(page, "user-menu")
    page.locator("#logout-button").click()
    expect(page).to_have_url(re.compile(r"/$"))

    page.goto("/auth/login")
    page.fill("#login", "+998 90 123 45 67")
    page.fill("#password", "juda-xavfsiz-parol")
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("html")).to_have_attribute("lang", "ru")  # the saved language


def test_owner_whose_trial_ended_sees_request_access(page, user_factory):
    user = user_factory(status="expired", language="en", phone="+998935551122")
    page.goto("/auth/login")
    page.fill("#login", "93 555 11 22")
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("#request-access")).to_be_visible()
    expect(page.locator("#status-badge")).to_have_text("Expired")
    screenshot(page, "dashboard-en-expired")
    assert user.email
