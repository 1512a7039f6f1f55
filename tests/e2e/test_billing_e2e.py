"""In a real browser: an owner whose trial ended asks (in Russian) for the quarterly plan with a
coupon and sees the discounted price at once; the admin approves; the owner's dashboard shows
the plan and its expiry date."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models.billing import PlanRequest
from tests.billing.helpers import fetch_user, make_coupon
from tests.e2e.browser import screenshot, switch_language
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def _login(page, email: str) -> None:
    page.goto("/auth/login")
    page.fill("#login", email)
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()


def test_request_quarterly_plan_with_coupon_and_get_it_approved(page, app, user_factory):
    owner = user_factory(status="expired", language="uz", name="Dilnoza Yusupova")
    admin = user_factory(status="trial", is_admin=True, name="Admin")
    code = make_coupon(app, percent=10)

    _login(page, owner.email)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    switch_language(page, "ru")

    page.locator("#request-access").click()
    expect(page).to_have_url(re.compile(r"/billing/request-access$"))
    page.locator("label[for=plan-quarterly]").click()
    expect(page.locator("#plan-quarterly")).to_be_checked()
    expect(page.locator("#price-quarterly")).to_have_text(re.compile(r"^810\s000\b"))
    page.fill("#coupon", code.lower())
    page.wait_for_load_state("load")  # the coupon check is scripted: let the scripts run first
    page.locator("#apply-coupon").click()  # JS: JSON check with the X-CSRFToken header
    expect(page.locator("#coupon")).to_have_class(re.compile(r"\bis-valid\b"))
    expect(page.locator("#price-quarterly")).to_have_text(re.compile(r"^729\s000\b"))
    expect(page.locator("[data-plan=quarterly] .list-price")).to_be_visible()
    expect(page.locator("#coupon")).to_have_value(code)
    expect(page).to_have_url(re.compile(r"/billing/request-access$"))  # no reload
    screenshot(page, "billing-request-ru-coupon")

    page.fill("#note", "Позвоните после 18:00")
    page.locator("#send-request").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    status = page.locator("#plan-request-status")
    expect(status).to_have_attribute("data-status", "pending")
    expect(page.locator("#plan-request-price")).to_have_text(re.compile(r"729\s000"))
    screenshot(page, "billing-dashboard-pending-ru")

    with app.app_context():
        request_id = db.session.scalar(
            select(PlanRequest.id).where(PlanRequest.user_id == owner.id)
        )

    admin_context = page.context.browser.new_context(base_url=page.url.split("/dashboard")[0])
    admin_page = admin_context.new_page()
    try:
        _login(admin_page, admin.email)
        admin_page.goto("/admin/plan-requests")
        card = admin_page.locator(f"#request-{request_id}")
        expect(card).to_contain_text(code)
        expect(card).to_contain_text("Позвоните после 18:00")
        expect(card.locator(".request-price")).to_have_text(re.compile(r"729\s000"))
        screenshot(admin_page, "billing-admin-pending")
        card.locator(".approve-form button[type=submit]").click()
        expect(admin_page.locator(".alert-success")).to_be_visible()
        expect(admin_page.locator(f"#request-{request_id}")).to_have_count(0)
    finally:
        admin_context.close()

    page.reload()
    expect(page.locator("#status-badge")).to_have_class(re.compile(r"\bstatus-paid\b"))
    expect(page.locator("#plan-request-status")).to_have_attribute("data-status", "approved")
    expires = fetch_user(app, owner.id).plan_expires_at
    local_day = expires.astimezone(ZoneInfo("Asia/Tashkent")).date()
    expect(page.locator("#plan-expiry")).to_contain_text(
        format_date(local_day, "medium", locale="ru")
    )
    screenshot(page, "billing-dashboard-paid-ru")
