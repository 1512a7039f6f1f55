"""The owner's side: the pay buttons (only for configured rails), the checkout redirect with the
documented link, the result page (own orders only), and the admin's payment pages."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlparse

from tests.billing.conftest import PAYME_KEY, RAILS, order_row
from tests.billing.helpers import make_coupon

OWNER_LANGUAGE = "en"


def test_no_pay_buttons_without_settings(owner, client):
    page = client.get("/billing/request-access").get_data(as_text=True)
    assert 'id="send-request"' in page and "pay-payme" not in page and "pay-click" not in page
    assert client.post("/payments/checkout/payme", data={"plan": "monthly"}).status_code == 404


def test_each_button_needs_all_of_its_settings(app, rails, owner, client):
    app.config["CLICK_SECRET_KEY"] = ""
    page = client.get("/billing/request-access").get_data(as_text=True)
    assert 'id="pay-payme"' in page and "pay-click" not in page
    app.config["CLICK_SECRET_KEY"] = RAILS["CLICK_SECRET_KEY"]
    page = client.get("/billing/request-access").get_data(as_text=True)
    assert 'id="pay-click"' in page


def test_the_pay_forms_may_lead_to_the_checkout_pages_and_nowhere_else(app, rails, owner, client):
    """Browsers apply form-action to the redirect after a form: the checkout hosts are allowed
    on this page only, and only for the rails that are configured."""
    policy = client.get("/billing/request-access").headers["Content-Security-Policy"]
    form_action = re.search(r"form-action ([^;]+)", policy).group(1).split()
    assert form_action == ["'self'", *sorted({_origin(app, "CLICK_PAY_URL"), _origin(app)})]
    app.config["CLICK_SECRET_KEY"] = ""
    policy = client.get("/billing/request-access").headers["Content-Security-Policy"]
    assert re.search(r"form-action ([^;]+)", policy).group(1).split() == ["'self'", _origin(app)]
    app.config["CLICK_SECRET_KEY"] = RAILS["CLICK_SECRET_KEY"]
    assert "form-action 'self';" in client.get("/dashboard").headers["Content-Security-Policy"]


def _origin(app, key="PAYME_CHECKOUT_URL"):
    parts = urlparse(app.config[key])
    return f"{parts.scheme}://{parts.netloc}"


def test_payme_checkout_link(app, rails, owner, client):
    code = make_coupon(app, percent=10)
    response = client.post(
        "/payments/checkout/payme", data={"plan": "quarterly", "coupon": code.lower()}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("https://checkout.paycom.test/")
    decoded = base64.b64decode(location.rsplit("/", 1)[1]).decode()
    match = re.fullmatch(r"m=(\w+);ac\.order_id=(\d+);a=(\d+);c=(.+)", decoded)
    assert match and match[1] == RAILS["PAYME_MERCHANT_ID"]
    assert int(match[3]) == 729_000 * 100
    assert match[4].endswith(f"/payments/orders/{match[2]}")
    order = order_row(app, int(match[2]))
    assert (order.user_id, order.plan, order.coupon_code) == (owner.id, "quarterly", code)
    assert PAYME_KEY not in location


def test_click_checkout_link(app, rails, owner, client):
    response = client.post("/payments/checkout/click", data={"plan": "monthly"})
    url = urlparse(response.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.netloc == "my.click.test"
    assert query["service_id"] == "30001" and query["merchant_id"] == "20001"
    assert query["amount"] == "300000.00" and query["return_url"].endswith(
        f"/payments/orders/{query['transaction_param']}"
    )


def test_a_bad_coupon_or_plan_goes_back_with_a_message(app, rails, owner, client):
    response = client.post(
        "/payments/checkout/payme",
        data={"plan": "monthly", "coupon": "NOPE"},
        follow_redirects=True,
    )
    assert "This coupon code does not exist." in response.get_data(as_text=True)
    response = client.post("/payments/checkout/payme", data={"plan": "forever"})
    assert response.status_code == 302 and "/billing/request-access" in response.headers["Location"]
    assert client.post("/payments/checkout/paypal", data={"plan": "monthly"}).status_code == 404


def test_result_page_in_the_owners_language_and_only_for_them(
    app, rails, user_factory, auth, client, make_order, fake_payme
):
    owner = user_factory(language="ru", status="expired")
    other = user_factory(language="en")
    order_id, amount = make_order(owner.id)
    auth.login(owner.email)
    page = client.get(f"/payments/orders/{order_id}").get_data(as_text=True)
    assert 'data-state="created"' in page and 'http-equiv="refresh"' in page
    fake_payme.pay(order_id, amount)
    page = client.get(f"/payments/orders/{order_id}").get_data(as_text=True)
    assert 'data-state="paid"' in page and "Оплата получена" in page
    assert "300\u00a0000 сум" in page
    client.post("/auth/logout")
    auth.login(other.email)
    assert client.get(f"/payments/orders/{order_id}").status_code == 404
    assert client.get("/payments/orders/987654").status_code == 404


def test_admin_sees_masked_settings_callback_urls_orders_and_refunds(
    app, rails, user_factory, auth, client, make_order, fake_payme
):
    owner = user_factory(status="paid")
    order_id, amount = make_order(owner.id)
    txn, _ = fake_payme.pay(order_id, amount)
    fake_payme.cancel(txn)
    admin = user_factory(is_admin=True, language="en")
    auth.login(admin.email)
    page = client.get("/admin/online-payments").get_data(as_text=True)
    assert PAYME_KEY not in page and RAILS["CLICK_SECRET_KEY"] not in page
    assert "•" * 8 + PAYME_KEY[-4:] in page
    assert 'value="https://bot.example.test/payments/payme"' in page
    assert 'value="https://bot.example.test/payments/click/complete"' in page
    assert 'data-copy="#payme-url"' in page
    assert f'data-order-id="{order_id}" data-state="refunded"' in page
    payments = client.get("/admin/payments").get_data(as_text=True)
    assert 'data-provider="payme"' in payments and "payment-refunded" in payments
    log = client.get("/admin/logs").get_data(as_text=True)
    assert "Online payment received" in log and "Online payment refunded" in log
