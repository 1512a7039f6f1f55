"""In a real browser, on a 390 px phone: the coupon's monthly price on the request page, the
admin menu behind a button with its badge, and a date typed the Russian way in the inbox."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from extensions import db
from models.billing import create_plan_request
from models.conversation import Conversation, Message
from models.user import User
from tests.billing.helpers import make_coupon
from tests.e2e.test_admin_e2e import log_in

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
NBSP = "\u00a0"


def _phone(browser, live_server, locale):
    context = browser.new_context(base_url=live_server.url, locale=locale, viewport=PHONE)
    context.set_default_timeout(15000)
    return context, context.new_page()


@pytest.mark.parametrize(
    "lang,annual,monthly",
    [
        ("uz", f"2{NBSP}592{NBSP}000 so‘m", f"oyiga 216{NBSP}000 so‘m"),
        ("ru", f"2{NBSP}592{NBSP}000 сум", f"216{NBSP}000 сум в месяц"),
    ],
)
def test_the_coupon_lowers_the_monthly_price_without_reloading(
    browser, live_server, app, user_factory, lang, annual, monthly
):
    owner = user_factory(status="expired", language=lang)
    code = make_coupon(app, percent=10)
    context, page = _phone(browser, live_server, f"{lang}-UZ")
    log_in(page, owner.email)
    page.goto("/billing/request-access")
    expect(page.locator("#monthly-annual")).not_to_contain_text("216")
    page.fill("#coupon", code)
    page.locator("#apply-coupon").click()
    expect(page.locator("#price-annual")).to_have_text(annual)
    expect(page.locator("#monthly-annual")).to_have_text(monthly)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    context.close()


@pytest.mark.parametrize(
    "lang,menu,stats",
    [("ru", "Меню администратора", "Статистика"), ("en", "Admin menu", "Statistics")],
)
def test_the_admin_menu_folds_behind_a_button_on_a_phone(
    browser, live_server, app, user_factory, lang, menu, stats
):
    admin = user_factory(is_admin=True, language=lang)
    owner = user_factory(status="expired")
    with app.app_context():
        create_plan_request(db.session.get(User, owner.id), "monthly")
        db.session.commit()
    context, page = _phone(browser, live_server, f"{lang}-RU")
    log_in(page, admin.email)
    expect(page).to_have_url(re.compile(r"/admin/$"))
    nav = page.locator("#admin-menu .admin-nav")
    expect(nav).to_be_hidden()  # the content comes first on a phone
    toggle = page.locator("#admin-menu-toggle")
    expect(toggle).to_contain_text(menu)
    expect(toggle.locator(".badge")).to_have_text("1")
    page.wait_for_load_state("load")
    toggle.click()
    expect(nav).to_be_visible()
    expect(page.locator("#menu-badge-plan_requests")).to_have_text("1")
    nav.get_by_role("link", name=stats).click()
    expect(page).to_have_url(re.compile(r"/admin/stats"))
    expect(page.locator("#top-platform")).to_be_visible()
    context.close()


def test_an_owner_filters_the_inbox_by_a_date_typed_in_russian(
    browser, live_server, app, user_factory
):
    owner = user_factory(language="ru")
    with app.app_context():
        conv = Conversation.get_or_create(owner.id, "telegram", "42", "9001", "Джамшид")
        db.session.flush()
        Message.store_inbound(conv, external_id="1", text="Здравствуйте")
        db.session.commit()
    context, page = _phone(browser, live_server, "ru-RU")
    log_in(page, owner.email)
    page.goto("/conversations")
    expect(page.locator("#from")).to_have_attribute("placeholder", "dd.mm.yyyy")
    page.fill("#from", "01.01.2020")
    page.fill("#to", "31.12.2099")
    page.locator("#from").press("Enter")
    expect(page).to_have_url(re.compile(r"from=01.01.2020"))
    expect(page.get_by_text("Джамшид")).to_be_visible()
    page.fill("#from", "01.01.2099")
    page.locator("#from").press("Enter")
    expect(page.get_by_text("Джамшид")).to_have_count(0)
    context.close()
