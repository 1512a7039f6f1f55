"""The webhook's acknowledgement path (issue 12, cause 8): what one delivery costs in statements
(the acknowledgement's, and its storing's off that path: pipeline/inbox.py), and that what is
kept per process (the account, its secret, the owner's linked chat) never lets a stale entry
decide something the database would decide otherwise."""

from __future__ import annotations

import logging
from contextlib import contextmanager

import pytest
from flask import request, request_started
from sqlalchemy import event, select, update
from sqlalchemy.exc import OperationalError

from core.crypto import encrypt
from extensions import db
from models.channel import TelegramBot
from models.conversation import Conversation, Message
from models.owner_alerts import AlertSettings
from pipeline import accounts, inbox
from tests.channel_fixtures import meta_post, tg_post
from tests.engine_helpers import configured
from tests.fakes import graph as g
from tests.fakes import telegram as t
from tests.outreach.alert_helpers import OWNER_CHAT, link

CUSTOMER = 555000999


@pytest.fixture
def ack_only(app):
    """Only the webhook's own work: nobody answers (as with ANSWER_IN_WEB=false and the
    answering processes elsewhere), so what is seen is the acknowledgement's alone."""
    with configured(app, TASKS_EAGER=False, ANSWER_IN_WEB=False):
        yield


@contextmanager
def statements(app):
    """The SQL statements the app runs inside the block (transaction control left out)."""
    seen: list[str] = []

    def listener(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def _conversation(app, customer: int | str) -> Conversation:
    with app.app_context():
        conv = db.session.scalar(
            select(Conversation).where(Conversation.customer_ref == str(customer))
        )
        db.session.expunge(conv)
        return conv


def _texts(app, customer: int | str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Message.text)
                .join(Conversation, Message.conversation_id == Conversation.id)
                .where(Conversation.customer_ref == str(customer), Message.direction == "in")
                .order_by(Message.id)
            )
        )


def _ingest(app) -> inbox.Ingested:
    with app.app_context():
        return inbox.ingest()


def _say(client, shop, text, chat_id=CUSTOMER, **kw):
    """Post a customer's update; with nobody answering (ack_only), store it as an answering
    process would."""
    update = t.telegram_text_update(text, chat_id=chat_id, **kw)
    assert tg_post(client, shop.id, update, shop.telegram_secret).status_code == 200
    if not client.application.config["TASKS_EAGER"]:
        _ingest(client.application)
    return update


def _post(client, shop, text):
    update = t.telegram_text_update(text, chat_id=CUSTOMER)
    assert tg_post(client, shop.id, update, shop.telegram_secret).status_code == 200


def test_the_acknowledgement_is_one_insert_into_the_inbox_and_reads_no_account(
    app, client, fakes, shop, ack_only
):
    _say(client, shop, "Salom")  # the account is kept by the webhook's process
    with statements(app) as seen:
        _post(client, shop, "Narxlar qancha?")
    assert [s.split()[:3] for s in seen] == [["INSERT", "INTO", "webhook_deliveries"]]
    assert _texts(app, CUSTOMER) == ["Salom"]  # not stored yet: the answering side stores it
    with app.app_context():
        assert inbox.waiting_count() == 1
    assert _ingest(app).deliveries == 1
    assert _texts(app, CUSTOMER) == ["Salom", "Narxlar qancha?"]
    with app.app_context():
        assert inbox.waiting_count() == 0  # deleted with the commit that stored it


def test_storing_a_known_customers_message_costs_one_statement_on_postgresql(
    app, client, fakes, shop, ack_only
):
    _say(client, shop, "Salom")  # the conversation is created, the account kept
    _post(client, shop, "Narxlar qancha?")
    with statements(app) as seen:
        _ingest(app)
    touched = [s for s in seen if "messages" in s or "conversations" in s]
    assert not [s for s in seen if "telegram_bots" in s or "alert_settings" in s]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Found, inserted and noted in one statement of data-modifying CTEs.
        assert len(touched) == 1 and touched[0].startswith("WITH conv AS")
    else:
        assert [s.split()[0] for s in touched] == ["SELECT", "INSERT", "UPDATE"]
    assert _texts(app, CUSTOMER) == ["Salom", "Narxlar qancha?"]


def test_the_conversation_is_noted_as_before_whichever_path_stored_the_message(
    app, client, fakes, shop, ack_only
):
    first = _say(client, shop, "Salom", first_name="Aziza")
    start = _conversation(app, CUSTOMER)
    assert (start.customer_name, start.message_count, start.answer_pending) == ("Aziza", 1, True)
    _say(client, shop, "Narxlar?", first_name="Boshqa", date=first["message"]["date"] - 3600)
    tg_post(client, shop.id, first, shop.telegram_secret)  # a redelivery: no note at all
    _ingest(app)
    conv = _conversation(app, CUSTOMER)
    assert conv.customer_name == "Aziza"  # a name is only filled, never replaced
    assert conv.message_count == 2 and conv.answer_gen == start.answer_gen + 1
    # An older message (sent an hour before) does not move the customer's last message back.
    assert conv.last_inbound_at == start.last_inbound_at
    assert conv.last_message_at >= start.last_message_at


def test_two_first_messages_of_one_customer_in_one_batch_share_one_conversation(
    app, client, fakes, shop, ack_only
):
    one = g.whatsapp_text_payload("Salom", wa_id="998907770001")
    two = g.whatsapp_text_payload("Narxlar qancha?", wa_id="998907770001")
    assert meta_post(client, "whatsapp", g.whatsapp_batch(one, two)).status_code == 200
    _ingest(app)
    with app.app_context():
        convs = db.session.scalars(
            select(Conversation).where(Conversation.customer_ref == "998907770001")
        ).all()
        assert len(convs) == 1 and convs[0].message_count == 2
    assert _texts(app, "998907770001") == ["Salom", "Narxlar qancha?"]


def test_a_secret_changed_by_another_process_is_read_again_and_the_old_one_refused(
    app, client, fakes, shop
):
    _say(client, shop, "Salom")  # kept here with the current secret
    with app.app_context():  # another process reconnects the bot: a new webhook secret
        new_secret = "rotated-" + "x" * 24
        db.session.execute(
            update(TelegramBot)
            .where(TelegramBot.user_id == shop.id)
            .values(secret_encrypted=encrypt(new_secret))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    update_ = t.telegram_text_update("Yangi sirda", chat_id=CUSTOMER)
    assert tg_post(client, shop.id, update_, new_secret).status_code == 200
    assert tg_post(client, shop.id, update_, shop.telegram_secret).status_code == 403
    assert _texts(app, CUSTOMER) == ["Salom", "Yangi sirda"]


def test_the_owners_chat_is_known_from_the_kept_account_and_an_unlink_elsewhere_holds(
    app, client, fakes, shop
):
    link(client, shop)  # linked in this process: the kept account was dropped and re-read
    _say(client, shop, "Men egasiman", chat_id=OWNER_CHAT)
    assert _texts_of_chat(app, OWNER_CHAT) == []  # intercepted, not a customer's message
    with app.app_context():  # another process unlinks: this one still keeps the linked chat
        db.session.execute(
            update(AlertSettings)
            .where(AlertSettings.user_id == shop.id)
            .values(chat_id=None, bot_id=None, linked_at=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    _say(client, shop, "Endi mijozman", chat_id=OWNER_CHAT)
    # The kept entry only said "maybe the owner": the row, read for it, said no.
    assert _texts_of_chat(app, OWNER_CHAT) == ["Endi mijozman"]


def test_a_chat_linked_by_another_process_is_intercepted_once_the_kept_entry_expires(
    app, client, fakes, shop
):
    _say(client, shop, "Salom", chat_id=OWNER_CHAT)  # kept: no linked chat, so a customer
    with app.app_context():
        row = AlertSettings.for_user(shop.id)
        db.session.commit()
        db.session.execute(
            update(AlertSettings)
            .where(AlertSettings.id == row.id)
            .values(chat_id=str(OWNER_CHAT), bot_id=_bot_ref(shop.id))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    accounts.forget_all()  # what ACCOUNT_CACHE_SECONDS does on its own
    _say(client, shop, "Endi egaman", chat_id=OWNER_CHAT)
    assert _texts_of_chat(app, OWNER_CHAT) == ["Salom"]  # the second was the owner's


def _bot_ref(user_id: int) -> str:
    return db.session.scalar(select(TelegramBot).where(TelegramBot.user_id == user_id)).account_ref


def _texts_of_chat(app, chat_id: int) -> list[str]:
    return _texts(app, chat_id)


# --- the acknowledgement in front of Flask (routes/messaging_routes/webhooks.py) -----------------
@contextmanager
def flask_requests(app):
    """The requests Flask's own machinery handled inside the block (its request_started)."""
    seen: list[str] = []

    def receiver(_sender, **_extra):
        seen.append(request.path)

    request_started.connect(receiver, app)
    try:
        yield seen
    finally:
        request_started.disconnect(receiver, app)


@pytest.mark.parametrize("platform", ["telegram", "whatsapp", "instagram"])
def test_a_delivery_is_acknowledged_in_front_of_flask_with_the_apps_headers(
    app, client, fakes, shop, ack_only, platform
):
    with flask_requests(app) as handled:
        if platform == "telegram":
            response = tg_post(
                client, shop.id, t.telegram_text_update("Salom"), shop.telegram_secret
            )
        elif platform == "whatsapp":
            response = meta_post(client, platform, g.whatsapp_text_payload("Salom"))
        else:
            response = meta_post(client, platform, g.instagram_text_payload("Salom"))
    assert (response.status_code, response.get_json()) == (200, {"ok": True})
    assert handled == []  # no request context, no session, login, locale or limiter hooks
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in response.headers
    with app.app_context():
        assert inbox.waiting_count() == 1


def test_refusals_in_front_of_flask_are_the_error_handlers_json(app, client, fakes, shop, ack_only):
    with flask_requests(app) as handled:
        forged = tg_post(client, shop.id, t.telegram_text_update("Salom"), "not-the-secret")
        unsigned = meta_post(client, "whatsapp", g.whatsapp_text_payload("Salom"), secret="x")
        not_json = client.post(
            f"/telegram/webhook/{shop.id}",
            data=b"[1, 2]",
            content_type="application/json",
            headers={"X-Telegram-Bot-Api-Secret-Token": shop.telegram_secret},
        )
    assert handled == []
    for response, code in ((forged, 403), (unsigned, 403), (not_json, 400)):
        assert (response.status_code, response.get_json()) == (code, {"error": code})
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    with app.app_context():
        assert inbox.waiting_count() == 0


def test_paths_and_methods_the_webhooks_do_not_take_get_flasks_own_answer(
    app, client, fakes, shop, ack_only
):
    with flask_requests(app) as handled:
        not_a_user = client.post("/telegram/webhook/abc", json={"update_id": 1})
        beyond_ids = client.post(f"/telegram/webhook/{2**31}", json={"update_id": 1})
        wrong_method = client.put("/whatsapp/webhook", json={})
        handshake = client.get("/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=nope")
    assert (not_a_user.status_code, not_a_user.get_json()) == (404, {"error": 404})
    assert (beyond_ids.status_code, beyond_ids.get_json()) == (404, {"error": 404})
    assert wrong_method.status_code == 405
    assert handshake.status_code == 403
    assert handled == [
        "/telegram/webhook/abc",
        f"/telegram/webhook/{2**31}",
        "/whatsapp/webhook",
        "/whatsapp/webhook",
    ]


def test_a_database_outage_at_the_acknowledgement_is_a_logged_500_the_platform_retries(
    app, client, fakes, shop, ack_only, monkeypatch, caplog
):
    _say(client, shop, "Salom")  # the account is kept: the outage hits the INSERT itself
    response = _post_in_an_outage(client, shop, monkeypatch, caplog)
    assert (response.status_code, response.get_json()) == (500, {"error": 500})
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert f"unhandled database error on POST /telegram/webhook/{shop.id}" in caplog.text
    assert "Narxlar" not in caplog.text  # the customer's words are never logged
    monkeypatch.undo()
    _say(client, shop, "Narxlar qancha?")  # Telegram's redelivery is kept and stored
    assert _texts(app, CUSTOMER) == ["Salom", "Narxlar qancha?"]


def test_an_error_in_the_error_handling_is_still_a_json_500_with_the_headers(
    app, client, fakes, shop, ack_only, monkeypatch, caplog
):
    from routes.messaging_routes import webhooks

    def rollback_fails(*_args):
        raise OperationalError("ROLLBACK", {}, Exception("connection already closed"))

    monkeypatch.setattr(webhooks, "log_server_error", rollback_fails)
    response = _post_in_an_outage(client, shop, monkeypatch, caplog)
    assert (response.status_code, response.get_json()) == (500, {"error": 500})
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "the error could not be handled; answered 500" in caplog.text


def _post_in_an_outage(client, shop, monkeypatch, caplog):
    """A customer's update while the inbox INSERT fails as with the database away, with the
    app's log captured."""

    def unreachable(*_args):
        raise OperationalError("INSERT INTO webhook_deliveries", {}, Exception("server closed"))

    monkeypatch.setattr(inbox, "receive", unreachable)
    update = t.telegram_text_update("Narxlar qancha?", chat_id=CUSTOMER)
    logger = logging.getLogger("bilimbot")
    logger.addHandler(caplog.handler)
    try:
        return tg_post(client, shop.id, update, shop.telegram_secret)
    finally:
        logger.removeHandler(caplog.handler)


def test_the_bots_last_message_is_noted_at_most_once_a_minute(app, client, fakes, shop, ack_only):
    """A customer's message notes the account's last_message_at (the channel's health): once
    a minute per process, and only over a stored time older than that."""
    from datetime import timedelta

    from models.base import utcnow

    def last() -> object:
        with app.app_context():
            return db.session.scalar(
                select(TelegramBot.last_message_at).where(TelegramBot.user_id == shop.id)
            )

    accounts.forget_all()
    _say(client, shop, "Salom")
    first = last()
    assert first is not None and utcnow() - first < timedelta(minutes=1)
    _post(client, shop, "Narxlar qancha?")
    with statements(app) as seen:
        _ingest(app)
    assert not [s for s in seen if s.startswith("UPDATE telegram_bots")]  # kept this minute
    accounts.forget_all()  # another process (or the next minute): nothing kept
    _post(client, shop, "Yetkazish bormi?")
    with statements(app) as seen:
        _ingest(app)
    assert [s for s in seen if s.startswith("UPDATE telegram_bots")]  # asked, within a minute
    assert last() == first  # but the stored time is recent: left as it was
    with app.app_context():
        hour_ago = utcnow() - timedelta(hours=1)
        db.session.execute(update(TelegramBot).values(last_message_at=hour_ago))
        db.session.commit()
    accounts.forget_all()
    _say(client, shop, "Kafolat bormi?")
    assert last() > first


def test_a_batch_reads_its_accounts_once_per_platform_and_notes_them_in_one_update(
    app, client, fakes, user_factory, ack_only
):
    """A process that keeps no account yet (just started, or a minute after the last message
    of each) stores a batch of deliveries from several bots with one read of telegram_bots and
    one UPDATE of their last_message_at, not one of each per delivery."""
    owners = [user_factory() for _ in range(3)]
    with app.app_context():
        for n, owner in enumerate(owners):
            bot = TelegramBot(user_id=owner.id, bot_id=f"70000000{n}", username=f"shop{n}_bot")
            bot.set_token(f"70000000{n}:AA-token")
            db.session.add(bot)
        db.session.commit()
        secrets = {b.user_id: b.secret_token for b in db.session.scalars(select(TelegramBot))}
    for n, owner in enumerate(owners):
        update = t.telegram_text_update(f"Salom {n}", chat_id=CUSTOMER + n)
        assert tg_post(client, owner.id, update, secrets[owner.id]).status_code == 200
    accounts.forget_all()
    with statements(app) as seen:
        done = _ingest(app)
    assert done.deliveries == 3 and len(done.waiting) == 3
    assert len([s for s in seen if s.startswith("SELECT") and "FROM telegram_bots" in s]) == 1
    assert len([s for s in seen if s.startswith("UPDATE telegram_bots")]) == 1
    with app.app_context():
        noted = db.session.scalars(select(TelegramBot.last_message_at))
        assert all(stamp is not None for stamp in noted)
    assert [_texts(app, CUSTOMER + n) for n in range(3)] == [["Salom 0"], ["Salom 1"], ["Salom 2"]]
