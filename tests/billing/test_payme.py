"""Payme's Merchant API against a fake Payme that calls our endpoint in the documented
sequences: happy path, repeats, out-of-order and concurrent calls, wrong auth and amounts,
the 12-hour timeout, and a cancel after perform that takes the plan time back."""

from __future__ import annotations

import threading
from base64 import b64encode
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from extensions import db
from main import create_app
from models.admin_log import AdminLog
from models.base import utcnow
from tests.billing.conftest import PAYME_KEY, order_row
from tests.billing.helpers import coupon_uses, fetch_user, make_coupon, messages, payments_of
from tests.factories import SuiteConfig
from tests.fakes.payment_callers import FakePayme


def test_happy_path_activates_the_plan_once_and_mails_the_owner(
    app, user_factory, make_order, fake_payme
):
    owner = user_factory(status="expired", language="ru")
    code = make_coupon(app, percent=10)
    order_id, amount = make_order(owner.id, "payme", "monthly", code)
    assert amount == 270_000 * 100  # tiyin, after 10% off

    txn, (checked, created, performed) = fake_payme.pay(order_id, amount)

    assert checked == {"jsonrpc": "2.0", "id": checked["id"], "result": {"allow": True}}
    assert created["result"]["state"] == 1 and created["result"]["transaction"] == str(order_id)
    assert performed["result"]["state"] == 2 and performed["result"]["perform_time"] > 0
    user = fetch_user(app, owner.id)
    assert user.plan == "monthly"
    assert abs((user.plan_expires_at - utcnow() - timedelta(days=30)).total_seconds()) < 60
    [payment] = payments_of(app, owner.id)
    assert payment.amount_due == 270_000 and payment.admin_id is None
    assert payment.coupon_code == code and coupon_uses(app, code) == 1
    assert [m.kind for m in messages(app, user_id=owner.id)] == ["plan_paid"]
    with app.app_context():
        entry = db.session.scalar(select(AdminLog).where(AdminLog.action == "online_payment"))
        assert entry.details["order_id"] == order_id and entry.details["provider"] == "payme"

    # Payme repeats Perform (it did not get our answer): same answer, nothing changes.
    again = fake_payme.perform(txn)
    assert again["result"] == performed["result"]
    assert len(payments_of(app, owner.id)) == 1 and coupon_uses(app, code) == 1
    assert fetch_user(app, owner.id).plan_expires_at == user.plan_expires_at
    assert len(messages(app, user_id=owner.id)) == 1
    status = fake_payme.state(txn)["result"]
    assert status["state"] == 2 and status["create_time"] == created["result"]["create_time"]


def test_a_running_plan_is_extended_from_its_expiry(app, user_factory, make_order, fake_payme):
    owner = user_factory(status="paid")
    before = fetch_user(app, owner.id).plan_expires_at
    order_id, amount = make_order(owner.id, "payme", "quarterly")
    fake_payme.pay(order_id, amount)
    assert fetch_user(app, owner.id).plan_expires_at == before + timedelta(days=90)


def test_repeated_create_answers_the_same_and_a_second_transaction_is_refused(
    app, user_factory, make_order, fake_payme
):
    owner = user_factory()
    order_id, amount = make_order(owner.id)
    txn = fake_payme.new_id()
    first = fake_payme.create(txn, order_id, amount)
    assert fake_payme.create(txn, order_id, amount)["result"] == first["result"]
    other = fake_payme.create(fake_payme.new_id(), order_id, amount)
    assert other["error"]["code"] == -31051
    assert set(other["error"]["message"]) == {"uz", "ru", "en"}
    assert fake_payme.check(order_id, amount)["error"]["code"] == -31051  # busy now


def test_wrong_auth_is_refused_before_any_work(app, user_factory, make_order, fake_payme, client):
    owner = user_factory()
    order_id, amount = make_order(owner.id)
    for key in ("wrong-key", ""):
        answer = fake_payme.call("CheckPerformTransaction", key=key or " ", amount=amount)
        assert answer["error"]["code"] == -32504
    impostor = FakePayme(client, PAYME_KEY, login="Admin")
    assert impostor.create("a" * 24, order_id, amount)["error"]["code"] == -32504
    no_header = client.post("/payments/payme", json={"method": "CheckTransaction", "id": 7})
    assert no_header.status_code == 200 and no_header.get_json()["error"]["code"] == -32504
    assert no_header.get_json()["id"] == 7
    assert order_row(app, order_id).state == "created"


def test_protocol_errors(app, user_factory, make_order, fake_payme):
    owner = user_factory()
    order_id, amount = make_order(owner.id)
    assert fake_payme.check(order_id, amount + 100)["error"]["code"] == -31001
    assert fake_payme.check(order_id, -5)["error"]["code"] == -31001
    assert fake_payme.check(999999, amount)["error"]["code"] == -31050
    assert fake_payme.call("CheckPerformTransaction", amount=amount)["error"]["code"] == -31050
    assert fake_payme.perform("f" * 24)["error"]["code"] == -31003
    assert fake_payme.cancel("f" * 24)["error"]["code"] == -31003
    assert fake_payme.call("ChargeEverything")["error"]["code"] == -32601
    raw = fake_payme.post(
        "/payments/payme",
        content=b"{not json",
        headers={"Authorization": "Basic " + b64encode(f"Paycom:{PAYME_KEY}".encode()).decode()},
    )
    assert raw["error"]["code"] == -32700


def test_perform_before_create_and_after_cancel(app, user_factory, make_order, fake_payme):
    owner = user_factory(status="expired")
    order_id, amount = make_order(owner.id)
    txn = fake_payme.new_id()
    assert fake_payme.perform(txn)["error"]["code"] == -31003  # out of order: nothing to perform
    fake_payme.create(txn, order_id, amount)
    cancelled = fake_payme.cancel(txn, reason=3)["result"]
    assert cancelled["state"] == -1 and cancelled["cancel_time"] > 0
    assert fake_payme.cancel(txn, reason=3)["result"] == cancelled  # repeated: same answer
    assert fake_payme.perform(txn)["error"]["code"] == -31008
    assert payments_of(app, owner.id) == []
    assert fetch_user(app, owner.id).plan is None


def test_a_transaction_left_for_12_hours_expires_and_never_activates(
    app, user_factory, make_order, fake_payme
):
    owner = user_factory(status="expired")
    with freeze_time(utcnow()) as clock:
        order_id, amount = make_order(owner.id)
        txn = fake_payme.new_id()
        fake_payme.create(txn, order_id, amount)
        clock.tick(timedelta(hours=12, seconds=1))
        assert fake_payme.perform(txn)["error"]["code"] == -31008
    status = fake_payme.state(txn)["result"]
    assert status["state"] == -1 and status["reason"] == 4
    assert payments_of(app, owner.id) == [] and order_row(app, order_id).state == "cancelled"


def test_an_unused_checkout_link_expires(app, user_factory, make_order, fake_payme):
    owner = user_factory()
    with freeze_time(utcnow()) as clock:
        order_id, amount = make_order(owner.id)
        clock.tick(timedelta(hours=13))
        assert fake_payme.check(order_id, amount)["error"]["code"] == -31051
    assert order_row(app, order_id).state == "cancelled"


def test_cancel_after_perform_takes_the_plan_time_back(app, user_factory, make_order, fake_payme):
    owner = user_factory(status="paid")
    before = fetch_user(app, owner.id).plan_expires_at
    order_id, amount = make_order(owner.id, "payme", "monthly")
    txn, _ = fake_payme.pay(order_id, amount)
    assert fetch_user(app, owner.id).plan_expires_at == before + timedelta(days=30)

    refunded = fake_payme.cancel(txn, reason=5)["result"]
    assert refunded["state"] == -2
    assert fetch_user(app, owner.id).plan_expires_at == before
    assert fake_payme.cancel(txn, reason=5)["result"] == refunded
    assert fetch_user(app, owner.id).plan_expires_at == before  # taken back once only
    assert fake_payme.perform(txn)["error"]["code"] == -31008
    with app.app_context():
        actions = list(db.session.scalars(select(AdminLog.action).order_by(AdminLog.id)))
    assert actions == ["online_payment", "online_refund"]


def test_get_statement_lists_the_transactions_of_a_period(
    app, user_factory, make_order, fake_payme
):
    owner = user_factory()
    order_id, amount = make_order(owner.id)
    txn, _ = fake_payme.pay(order_id, amount)
    now_ms = int(utcnow().timestamp() * 1000)
    found = fake_payme.call("GetStatement", **{"from": now_ms - 60_000, "to": now_ms + 60_000})
    [row] = found["result"]["transactions"]
    assert row["id"] == txn and row["amount"] == amount and row["state"] == 2
    assert row["account"] == {"order_id": str(order_id)}
    empty = fake_payme.call("GetStatement", **{"from": 0, "to": 1000})
    assert empty["result"]["transactions"] == []


def test_concurrent_performs_activate_exactly_once(app, user_factory, make_order, fake_payme):
    owner = user_factory(status="expired")
    order_id, amount = make_order(owner.id)
    txn = fake_payme.new_id()
    fake_payme.check(order_id, amount)
    fake_payme.create(txn, order_id, amount)
    answers, barrier = [], threading.Barrier(6)

    def perform():
        caller = FakePayme(app.test_client(), PAYME_KEY)
        barrier.wait()
        answers.append(caller.perform(txn))

    threads = [threading.Thread(target=perform) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results = [a["result"] for a in answers if "result" in a]
    assert results and all(r == results[0] for r in results)
    assert all(a.get("error", {}).get("code") in (None, -32400) for a in answers)
    assert len(payments_of(app, owner.id)) == 1
    user = fetch_user(app, owner.id)
    assert abs((user.plan_expires_at - utcnow() - timedelta(days=30)).total_seconds()) < 60


def test_the_endpoint_is_csrf_exempt_with_csrf_on(app, user_factory):
    class CsrfConfig(SuiteConfig):
        WTF_CSRF_ENABLED = True
        PAYME_KEY = PAYME_KEY

    strict = create_app(CsrfConfig)
    answer = FakePayme(strict.test_client(), PAYME_KEY).check(1, 100)
    assert answer["error"]["code"] == -31050  # reached the API (a 400 page otherwise)
