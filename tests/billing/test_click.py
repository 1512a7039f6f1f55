"""Click's SHOP API against a fake Click that signs and sends Prepare and Complete as documented."""

from __future__ import annotations

import threading
from datetime import timedelta

from freezegun import freeze_time

from models.base import utcnow
from tests.billing.conftest import CLICK_SECRET, RAILS, order_row
from tests.billing.helpers import fetch_user, messages, payments_of
from tests.fakes.payment_callers import FakeClick


def _sum(tiyin: int) -> str:
    return f"{tiyin / 100:.2f}"


def test_prepare_then_complete_pays_once(app, user_factory, make_order, fake_click):
    owner = user_factory(status="expired")
    order_id, amount = make_order(owner.id, "click", "annual")
    trans = fake_click.new_id()
    prepared = fake_click.prepare(trans, order_id, _sum(amount))
    assert prepared["error"] == 0 and prepared["merchant_prepare_id"] == order_id
    assert fake_click.prepare(trans, order_id, _sum(amount)) == prepared  # repeated
    done = fake_click.complete(trans, order_id, _sum(amount), order_id)
    assert done == {
        "click_trans_id": trans,
        "merchant_trans_id": str(order_id),
        "merchant_confirm_id": order_id,
        "error": 0,
        "error_note": "Success",
    }
    assert fake_click.complete(trans, order_id, _sum(amount), order_id) == done  # repeated
    assert len(payments_of(app, owner.id)) == 1
    assert fetch_user(app, owner.id).plan == "annual"
    assert [m.kind for m in messages(app, user_id=owner.id)] == ["plan_paid"]
    # Another Click transaction for the paid order is told it is paid.
    assert fake_click.prepare(fake_click.new_id(), order_id, _sum(amount))["error"] == -4


def test_bad_signature_amount_action_and_unknown_ids(app, user_factory, make_order, fake_click):
    owner = user_factory()
    order_id, amount = make_order(owner.id, "click")
    trans = fake_click.new_id()
    assert fake_click.prepare(trans, order_id, _sum(amount), secret="guess")["error"] == -1
    stranger = FakeClick(fake_click.target, "99999", CLICK_SECRET)
    assert stranger.prepare(trans, order_id, _sum(amount))["error"] == -1
    assert fake_click.prepare(trans, order_id, _sum(amount + 100))["error"] == -2
    assert fake_click.prepare(trans, order_id, "1.005")["error"] == -2
    assert fake_click.prepare(trans, 424242, _sum(amount))["error"] == -5
    assert order_row(app, order_id).state == "created"
    # Complete before Prepare, or with another prepare id: transaction not found.
    assert fake_click.complete(trans, order_id, _sum(amount), order_id)["error"] == -6
    fake_click.prepare(trans, order_id, _sum(amount))
    assert fake_click.complete(trans, order_id, _sum(amount), order_id + 1)["error"] == -6
    assert fake_click.complete(trans, order_id, _sum(amount), order_id, secret="x")["error"] == -1
    wrong_action = fake_click.post(
        "/payments/click/prepare",
        data=fake_click._signed(fake_click._fields(trans, order_id, _sum(amount), 1), None),
    )
    assert wrong_action["error"] == -3
    assert fake_click.post("/payments/click/prepare", data={"amount": "1"})["error"] == -8
    assert payments_of(app, owner.id) == []


def test_a_payme_order_is_unknown_to_click(app, user_factory, make_order, fake_click):
    owner = user_factory()
    order_id, amount = make_order(owner.id, "payme")
    assert fake_click.prepare(fake_click.new_id(), order_id, _sum(amount))["error"] == -5


def test_click_failure_cancels_and_the_order_never_activates(
    app, user_factory, make_order, fake_click
):
    owner = user_factory(status="expired")
    order_id, amount = make_order(owner.id, "click")
    trans = fake_click.new_id()
    fake_click.prepare(trans, order_id, _sum(amount))
    failed = fake_click.complete(trans, order_id, _sum(amount), order_id, error=-5017)
    assert failed["error"] == -9
    assert fake_click.complete(trans, order_id, _sum(amount), order_id)["error"] == -9
    assert order_row(app, order_id).state == "cancelled" and payments_of(app, owner.id) == []


def test_expired_prepare_never_completes(app, user_factory, make_order, fake_click):
    owner = user_factory(status="expired")
    with freeze_time(utcnow()) as clock:
        order_id, amount = make_order(owner.id, "click")
        trans = fake_click.new_id()
        fake_click.prepare(trans, order_id, _sum(amount))
        clock.tick(timedelta(hours=12, minutes=1))
        assert fake_click.complete(trans, order_id, _sum(amount), order_id)["error"] == -9
    assert order_row(app, order_id).state == "cancelled" and payments_of(app, owner.id) == []


def test_concurrent_completes_pay_exactly_once(app, user_factory, make_order, fake_click):
    owner = user_factory(status="expired")
    order_id, amount = make_order(owner.id, "click")
    trans = fake_click.new_id()
    fake_click.prepare(trans, order_id, _sum(amount))
    answers, barrier = [], threading.Barrier(6)

    def complete():
        caller = FakeClick(app.test_client(), RAILS["CLICK_SERVICE_ID"], CLICK_SECRET)
        barrier.wait()
        answers.append(caller.complete(trans, order_id, _sum(amount), order_id))

    threads = [threading.Thread(target=complete) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {a["error"] for a in answers} <= {0, -7} and any(a["error"] == 0 for a in answers)
    assert len(payments_of(app, owner.id)) == 1
