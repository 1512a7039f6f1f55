"""The webhook inbox (pipeline/inbox.py): a delivery is kept before the platform is
acknowledged, stored later in arrival order exactly once, and one that cannot be stored holds
back no other, keeps its error and waits for the admin."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from extensions import db
from models.channel import WhatsAppAccount
from models.conversation import Conversation, Message
from models.inbox import WebhookDelivery
from pipeline import inbox, store
from pipeline.recovery import recover
from tests.channel_fixtures import APP_SECRET, WA_TOKEN, meta_post, tg_post
from tests.engine_helpers import configured
from tests.fakes import graph as g
from tests.fakes import telegram as t

CHAT = 555000321


@pytest.fixture
def nobody_answers(app):
    """The web only keeps deliveries (ANSWER_IN_WEB=false, the answering processes elsewhere)."""
    with configured(app, TASKS_EAGER=False, ANSWER_IN_WEB=False):
        yield


def _say(client, shop, text, chat_id=CHAT, **kw):
    update = t.telegram_text_update(text, chat_id=chat_id, **kw)
    assert tg_post(client, shop.id, update, shop.telegram_secret).status_code == 200
    return update


def _texts(chat_id=CHAT) -> list[str]:
    return list(
        db.session.scalars(
            select(Message.text)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(Conversation.customer_ref == str(chat_id), Message.direction == "in")
            .order_by(Message.id)
        )
    )


def _kept() -> list[WebhookDelivery]:
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_deliveries_are_stored_in_arrival_order_once_and_then_forgotten(
    app, client, fakes, shop, nobody_answers
):
    words = [f"savol {n}" for n in range(inbox.INGEST_BATCH + 5)]  # more than one batch
    first = None
    for word in words:
        update = _say(client, shop, word)
        first = first or update
    tg_post(client, shop.id, first, shop.telegram_secret)  # a redelivery, kept as well
    with app.app_context():
        assert len(_kept()) == len(words) + 1 and _texts() == []
        done = inbox.ingest()
        assert done.deliveries == len(words) + 1 and not done.more
        assert _texts() == words  # in order, the redelivery stored no second message
        assert _kept() == []
        conv = db.session.scalar(select(Conversation))
        assert done.waiting == {conv.id} and conv.message_count == len(words)
        assert inbox.ingest().deliveries == 0


def test_one_batch_at_a_time_says_whether_more_wait(app, client, fakes, shop, nobody_answers):
    for n in range(inbox.INGEST_BATCH + 1):
        _say(client, shop, f"savol {n}")
    with app.app_context():
        one = inbox.ingest(batches=1)
        assert (one.deliveries, one.more) == (inbox.INGEST_BATCH, True)
        assert inbox.waiting_count() == 1
        assert inbox.ingest(batches=1).more is False and inbox.waiting_count() == 0


def test_a_delivery_that_cannot_be_stored_holds_back_no_other_and_waits_for_the_admin(
    app, client, fakes, shop, nobody_answers, monkeypatch
):
    real = store.store_events

    def store_or_fail(user_id, account_ref, events):
        if any(e.text == "buzuq" for e in events):
            raise ValueError("a parser bug")
        return real(user_id, account_ref, events)

    monkeypatch.setattr(inbox, "store_events", store_or_fail)
    for word in ("birinchi", "buzuq", "uchinchi"):
        _say(client, shop, word)
    with app.app_context():
        for attempt in range(1, inbox.MAX_ATTEMPTS + 1):
            inbox.ingest()
            assert _texts() == ["birinchi", "uchinchi"]
            [bad] = _kept()
            assert bad.attempts == attempt and bad.error == "ValueError: a parser bug"
        assert inbox.waiting_count() == 0  # no more tries: it waits for the admin
        assert [d.id for d in inbox.failed()] == [bad.id]
        inbox.ingest()
        assert _kept()[0].attempts == inbox.MAX_ATTEMPTS  # not tried again on its own
        monkeypatch.setattr(inbox, "store_events", real)  # the cause is fixed
        assert inbox.retry(bad.id) is True and inbox.retry(bad.id) is False
        db.session.commit()
        assert inbox.ingest().deliveries == 1
        assert _texts() == ["birinchi", "uchinchi", "buzuq"] and _kept() == []


def test_a_database_that_cannot_be_reached_counts_no_try(
    app, client, fakes, shop, nobody_answers, monkeypatch
):
    _say(client, shop, "Salom")

    def unreachable(*_args):
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(inbox, "store_events", unreachable)
    with app.app_context():
        with pytest.raises(OperationalError):
            inbox.ingest()
        [kept] = _kept()
        assert (kept.attempts, kept.error) == (0, None)


def test_a_meta_delivery_for_two_accounts_is_kept_once_for_each_and_stored_for_each(
    app, client, fakes, shop, user_factory, nobody_answers
):
    other = user_factory(email="ikkinchi@example.uz", phone="+998901234599")
    with app.app_context():  # another owner's number on the same Meta app (same app secret)
        wa = WhatsAppAccount(user_id=other.id, phone_number_id="222000333", waba_id="3",
                             app_id="2", verify_token="verify-wa-other")  # fmt: skip
        wa.set_secrets(WA_TOKEN, APP_SECRET)
        db.session.add(wa)
        db.session.commit()
    ours = g.whatsapp_text_payload("Salom", wa_id="998907770001")
    theirs = g.whatsapp_text_payload("Narx?", wa_id="998907770002", phone_number_id="222000333")
    assert meta_post(client, "whatsapp", g.whatsapp_batch(ours, theirs)).status_code == 200
    with app.app_context():
        assert sorted(d.user_id for d in _kept()) == sorted([shop.id, other.id])
        inbox.ingest()
        stored = db.session.execute(select(Message.user_id, Message.text)).all()
        assert sorted(stored) == sorted([(shop.id, "Salom"), (other.id, "Narx?")])


def test_the_owners_own_chat_is_still_taken_out_when_stored_later(
    app, client, fakes, shop, nobody_answers
):
    from tests.outreach.alert_helpers import OWNER_CHAT, link

    with configured(app, TASKS_EAGER=True):
        link(client, shop)
    _say(client, shop, "Men egasiman", chat_id=OWNER_CHAT)
    with app.app_context(), configured(app, TASKS_EAGER=True):  # the owner's notice inline
        inbox.ingest()
        assert _texts(OWNER_CHAT) == []


def test_the_recovery_sweep_stores_what_no_answering_process_stored(
    app, client, fakes, shop, nobody_answers
):
    _say(client, shop, "Hech kim saqlamadi")
    with app.app_context():
        stats = recover()
        assert stats["deliveries_stored"] == 1 and _texts() == ["Hech kim saqlamadi"]


def test_a_body_that_is_no_json_object_is_refused_and_never_kept(
    app, client, fakes, shop, nobody_answers
):
    for body in (b"[1, 2]", b"not json"):
        response = client.post(
            f"/telegram/webhook/{shop.id}",
            data=body,
            content_type="application/json",
            headers={"X-Telegram-Bot-Api-Secret-Token": shop.telegram_secret},
        )
        assert response.status_code == 400
    with app.app_context():
        assert _kept() == []


def test_the_kept_body_is_the_delivery_byte_for_byte(app, client, fakes, shop, nobody_answers):
    update = t.telegram_text_update("Ўзбекча матн", chat_id=CHAT)
    body = json.dumps(update, ensure_ascii=False).encode()
    client.post(
        f"/telegram/webhook/{shop.id}",
        data=body,
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": shop.telegram_secret},
    )
    with app.app_context():
        [kept] = _kept()
        assert (kept.platform, kept.user_id, bytes(kept.body)) == ("telegram", shop.id, body)
        inbox.ingest()
        assert _texts() == ["Ўзбекча матн"]


def test_while_another_process_stores_this_one_leaves_the_inbox_to_it(
    app, client, fakes, shop, nobody_answers
):
    _say(client, shop, "Navbat")
    with app.app_context():
        if db.engine.dialect.name == "postgresql":  # one storing process at a time
            with db.engine.connect() as other:
                other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": inbox.LOCK_KEY})
                assert inbox.ingest().deliveries == 0 and inbox.waiting_count() == 1
                other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": inbox.LOCK_KEY})
                other.commit()
        assert inbox.ingest().deliveries == 1 and _texts() == ["Navbat"]


def test_a_batch_whose_accounts_cannot_be_read_is_stored_one_by_one(
    app, client, fakes, shop, nobody_answers, monkeypatch
):
    """The batch's read of its accounts failed (once): each delivery is stored on its own,
    reading its account as part of its try, and nothing is lost."""
    from pipeline import accounts

    real_lookup, calls = accounts.lookup, []

    def failing_once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("accounts unreadable just now")
        return real_lookup(*args, **kwargs)

    for word in ("birinchi", "ikkinchi"):
        _say(client, shop, word)
    monkeypatch.setattr(accounts, "lookup", failing_once)
    with app.app_context():
        done = inbox.ingest()
        assert done.deliveries == 2 and len(done.waiting) == 1
        assert _texts() == ["birinchi", "ikkinchi"] and _kept() == []
    assert len(calls) == 3  # the batch's read, then one for each delivery
