"""The payment rails switched on for a test, with fake Payme and Click callers."""

from __future__ import annotations

import pytest

from extensions import db
from models.order import Order, create_order
from models.user import User
from tests.fakes.payment_callers import FakeClick, FakePayme

PAYME_KEY = "test-key-&Bq7#xY2-payme"
CLICK_SECRET = "click-secret-42"
RAILS = {
    "PAYME_MERCHANT_ID": "64f0c0ffee0000000000abcd",
    "PAYME_KEY": PAYME_KEY,
    "PAYME_CHECKOUT_URL": "https://checkout.paycom.test",
    "CLICK_SERVICE_ID": "30001",
    "CLICK_MERCHANT_ID": "20001",
    "CLICK_SECRET_KEY": CLICK_SECRET,
    "CLICK_PAY_URL": "https://my.click.test/services/pay",
}


@pytest.fixture
def rails(app):
    saved = {key: app.config.get(key) for key in RAILS}
    app.config.update(RAILS)
    yield RAILS
    app.config.update(saved)


@pytest.fixture
def fake_payme(rails, client):
    return FakePayme(client, PAYME_KEY)


@pytest.fixture
def fake_click(rails, client):
    return FakeClick(client, RAILS["CLICK_SERVICE_ID"], CLICK_SECRET)


@pytest.fixture
def make_order(app, rails):
    """An order opened for an owner (as the checkout button does); returns (id, amount in tiyin)."""

    def factory(user_id: int, provider: str = "payme", plan: str = "monthly", coupon=None):
        with app.app_context():
            order = create_order(db.session.get(User, user_id), provider, plan, coupon)
            db.session.commit()
            return order.id, order.amount

    return factory


def order_row(app, order_id: int) -> Order:
    with app.app_context():
        order = db.session.get(Order, order_id)
        db.session.expunge(order)
        return order
