"""In a real browser: an owner whose trial ended presses "Pay with Payme"; a tiny local stand-in
for Payme's checkout page (instead of a card form) calls our Merchant API in the documented
sequence and sends the browser back; the result page and the dashboard show the active plan.
In Russian and Uzbek, and on a phone-sized screen."""

from __future__ import annotations

import base64
import re
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.billing.helpers import fetch_user, payments_of
from tests.e2e.browser import screenshot, switch_language
from tests.factories import PASSWORD
from tests.fakes.payment_callers import FakePayme

pytestmark = pytest.mark.e2e

KEY = "e2e-payme-key-#42"


class FakeCheckout:
    """Payme's checkout page, reduced to: read the link, pay through the Merchant API, go back."""

    def __init__(self, merchant_api: str):
        self.merchant_api = merchant_api
        self.answers: list[dict] = []
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def wsgi(self, environ, start_response):
        request = Request(environ)
        raw = base64.b64decode(request.path.strip("/")).decode()
        fields = dict(part.split("=", 1) for part in raw.split(";"))
        payme = FakePayme(self.merchant_api, KEY)
        _, answers = payme.pay(int(fields["ac.order_id"]), int(fields["a"]))
        self.answers.extend(answers)
        return Response(status=302, headers={"Location": fields["c"]})(environ, start_response)


@pytest.fixture
def payme_rails(app, live_server):
    checkout = FakeCheckout(live_server.url)
    names = ("PAYME_MERCHANT_ID", "PAYME_KEY", "PAYME_CHECKOUT_URL")
    saved = {k: app.config.get(k) for k in names}
    app.config.update(PAYME_MERCHANT_ID="64f0e2e0000000000000beef", PAYME_KEY=KEY)
    app.config["PAYME_CHECKOUT_URL"] = checkout.url
    yield checkout
    app.config.update(saved)
    checkout.server.shutdown()


def _login(page, email: str) -> None:
    page.goto("/auth/login")
    page.fill("#login", email)
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


@pytest.mark.parametrize(
    ("lang", "button", "paid"),
    [("ru", "Оплатить через Payme", "Оплата получена"), ("uz", "Payme orqali to‘lash", "To‘lov")],
)
def test_pay_with_payme_activates_the_plan(
    page, app, user_factory, payme_rails, lang, button, paid
):
    owner = user_factory(status="expired", language="uz")
    _login(page, owner.email)
    switch_language(page, lang)
    page.locator("#request-access").click()
    page.locator("label[for=plan-quarterly]").click()
    pay = page.locator("#pay-payme")
    expect(pay).to_have_text(re.compile(button))
    expect(page.locator("#pay-click")).to_have_count(0)  # Click is not configured
    pay.click()

    expect(page).to_have_url(re.compile(r"/payments/orders/\d+$"))
    expect(page.locator("#payment-result")).to_have_attribute("data-state", "paid")
    expect(page.locator("h1")).to_contain_text(paid)
    expect(page.locator("#payment-amount")).to_contain_text(re.compile(r"810\s000"))
    screenshot(page, f"payments-result-paid-{lang}")
    assert [a["result"].get("state", True) for a in payme_rails.answers] == [True, 1, 2]

    page.locator("#to-dashboard").click()
    expect(page.locator("#status-badge")).to_have_class(re.compile(r"status-paid"))
    assert fetch_user(app, owner.id).plan == "quarterly"
    assert len(payments_of(app, owner.id)) == 1


def test_pay_buttons_and_result_fit_a_phone(browser, live_server, app, user_factory, payme_rails):
    context = browser.new_context(
        base_url=live_server.url, locale="ru-RU", viewport={"width": 375, "height": 740}
    )
    page = context.new_page()
    try:
        owner = user_factory(status="expired", language="ru")
        _login(page, owner.email)
        page.goto("/billing/request-access")
        expect(page.locator("#pay-payme")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.locator("#pay-payme").click()
        expect(page.locator("#payment-result")).to_have_attribute("data-state", "paid")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, "payments-result-phone-ru")
    finally:
        context.close()
