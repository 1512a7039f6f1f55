"""Every page a person uses, opened in Chromium in Uzbek, Russian and English: it renders, says
which language it is in, is really translated (the title differs between uz and ru), and runs
its scripts without errors. A new page fails the coverage check until it is added here."""

import re

import pytest
from playwright.sync_api import expect

from extensions import db
from models.billing import PlanRequest
from models.canned_reply import CannedReply
from models.conversation import Conversation, Message
from models.order import Order
from models.owner_answer import OwnerAnswer
from outreach.owner_emails import make_unsubscribe_token
from routes.auth_routes import make_reset_token
from tests.e2e.browser import screenshot, switch_language
from tests.engine_helpers import add_kb
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

# Endpoints that are not pages (JSON, files, webhooks, health).
NOT_PAGES = {
    "static",
    "main.healthz",
    "main.favicon",
    "kb.download",
    "kb.status",
    "chat.history",
    "messaging.whatsapp_webhook",
    "messaging.instagram_webhook",
    "messaging.unread",
    "stats.export",
}
# Pages without the site's navbar, whose language comes from the visitor's browser: opened in
# their own browser tests (the website chat's iframe: tests/e2e/test_widget_e2e.py, uz and ru, on
# a phone and a desktop).
TOURED_ELSEWHERE = {"widget.frame"}
LANGS = ("uz", "ru", "en")


@pytest.fixture
def site(app, user_factory):
    """An owner with a knowledge base, a conversation and a plan request; an admin."""
    owner = user_factory(name="Malika Yusupova", status="expired")
    admin = user_factory(name="Admin", is_admin=True)
    with app.app_context():
        add_kb(owner.id)
        conv = Conversation.get_or_create(owner.id, "telegram", "42", "9001", "Jasur")
        db.session.flush()
        msg = Message.store_inbound(conv, external_id="1", text="Salom! Narxlar qanday?")
        msg.status = "answered"
        db.session.add(
            PlanRequest(user_id=owner.id, plan="monthly", list_price=300000, price_due=300000)
        )
        order = Order(
            user_id=owner.id, plan="monthly", list_price=300000, amount=30000000, provider="payme"
        )
        db.session.add(order)
        db.session.commit()
        from models.user import User

        pair_id = OwnerAnswer.create(owner.id, "Kredit bormi?", "Ha, 12 oyga.").id
        canned_id = CannedReply.create(owner.id, "Kredit", "Ha, 12 oyga bo‘lib to‘lash mumkin.").id
        db.session.commit()
        user = db.session.get(User, owner.id)
        tokens = {"reset": make_reset_token(user), "unsubscribe": make_unsubscribe_token(user)}
        conv_id, order_id = conv.id, order.id
    return {
        "owner": owner,
        "admin": admin,
        "conv": conv_id,
        "pair": pair_id,
        "canned": canned_id,
        "order": order_id,
        **tokens,
    }


def _pages(site) -> dict[str, list[tuple[str, str]]]:
    """(endpoint, path) by who opens them."""
    owner, conv = site["owner"], site["conv"]
    return {
        "visitor": [
            ("main.index", "/"),
            ("auth.register", "/auth/register"),
            ("auth.login", "/auth/login"),
            ("auth.forgot_password", "/auth/forgot-password"),
            ("auth.reset_password", f"/auth/reset-password/{site['reset']}"),
            ("billing.unsubscribe", f"/billing/unsubscribe/{site['unsubscribe']}"),
        ],
        "owner": [
            ("main.dashboard", "/dashboard"),
            ("kb.index", "/knowledge-base/"),
            ("answers.new", "/knowledge-base/answers/new"),
            ("answers.edit", f"/knowledge-base/answers/{site['pair']}/edit"),
            ("messaging.bots", "/channels"),
            ("messaging.conversations", "/conversations"),
            ("messaging.conversation", f"/conversations/{conv}"),
            ("messaging.canned_replies", "/canned-replies"),
            ("messaging.edit_canned_reply", f"/canned-replies/{site['canned']}/edit"),
            ("stats.index", "/statistics"),
            ("ai.settings", "/assistant/"),
            ("auth.account", "/auth/account"),
            ("billing.request_access", "/billing/request-access"),
            ("payments.result", f"/payments/orders/{site['order']}"),
        ],
        "admin": [
            ("admin.dashboard", "/admin/"),
            ("admin.users", "/admin/users"),
            ("admin.user_detail", f"/admin/users/{owner.id}"),
            ("admin.conversations", "/admin/conversations"),
            ("admin.conversation_detail", f"/admin/conversations/{conv}"),
            ("admin.plan_requests", "/admin/plan-requests"),
            ("admin.payments", "/admin/payments"),
            ("admin.online_payments", "/admin/online-payments"),
            ("admin.coupons", "/admin/coupons"),
            ("admin.marketing", "/admin/e-mails"),
            ("admin.announcements", "/admin/announcements"),
            ("admin.stats", "/admin/stats"),
            ("admin.ai_settings", "/admin/ai-model"),
            ("admin.logs", "/admin/logs"),
            ("admin.jobs", "/admin/jobs"),
        ],
    }


def test_every_page_is_covered_by_the_tour(app, site):
    html_pages = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if "GET" in r.methods and r.endpoint not in NOT_PAGES | TOURED_ELSEWHERE
    }
    toured = {endpoint for group in _pages(site).values() for endpoint, _ in group}
    assert html_pages == toured


def _login(page, user):
    page.goto("/auth/login")
    page.fill("#login", user.email)
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/auth/login"))


@pytest.mark.parametrize("who", ["visitor", "owner", "admin"])
def test_page_tour_in_three_languages(page, site, who):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    pages = _pages(site)[who]
    if who != "visitor":
        _login(page, site[who])
    headings: dict[str, dict[str, str]] = {}
    for lang in LANGS:
        page.goto(pages[0][1])
        switch_language(page, lang)
        for endpoint, path in pages:
            response = page.goto(path)
            assert response.status == 200, (endpoint, lang, response.status)
            expect(page.locator("html")).to_have_attribute("lang", lang)
            headings.setdefault(endpoint, {})[lang] = page.title()
            if lang in ("uz", "ru"):
                screenshot(page, f"tour-{who}-{endpoint.replace('.', '-')}-{lang}")
    assert errors == []
    untranslated = [
        e for e, h in headings.items() if h["uz"] == h["ru"] and re.search("[A-Za-z]{4}", h["ru"])
    ]
    assert untranslated == []
