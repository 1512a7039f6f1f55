"""Meta echoes of our own messages never pause the bot; conversations belong to one owner."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models.channel import WhatsAppAccount
from models.conversation import Conversation, Message
from tests.channel_fixtures import APP_SECRET, WA_TOKEN, connect_all, meta_post
from tests.engine_helpers import add_kb
from tests.fakes import graph as g

OWNER_LANGUAGE = "en"


@pytest.fixture
def shop(app, owner):
    with app.app_context():
        add_kb(owner.id)
        connect_all(owner.id)
    return owner


def _conversation(app, platform="instagram"):
    with app.app_context():
        return db.session.scalar(select(Conversation).where(Conversation.platform == platform))


def _outbound(app):
    with app.app_context():
        return db.session.scalars(
            select(Message).where(Message.direction == "out").order_by(Message.id)
        ).all()


def test_echoes_of_every_part_of_a_split_reply_are_ours(client, app, fakes, shop):
    """Instagram splits at 1000 bytes (~500 Cyrillic letters); only the first part's id is
    stored, yet the echo of each part must be recognised, not taken for the owner writing."""
    _, graph = fakes
    meta_post(client, "instagram", g.instagram_text_payload("Salom"))
    conv = _conversation(app)
    long_text = " ".join(["Етказиб бериш шаҳар ичида бепул, вилоятларга эса икки кунда."] * 40)
    from pipeline.send import send_to_conversation

    with app.app_context():
        send_to_conversation(db.session.get(Conversation, conv.id), long_text, sender="admin")
        db.session.commit()
    parts = graph.instagram_sent()[1:]
    assert len(parts) >= 3  # the reply really was split
    for part in parts:
        meta_post(
            client, "instagram", g.instagram_echo_payload(part["message"]["text"], mid=part["_id"])
        )
    assert not _conversation(app).is_paused()
    assert [m.sender for m in _outbound(app)] == ["bot", "admin"]

    # The bot still answers the next question.
    meta_post(client, "instagram", g.instagram_text_payload("Do you have a warranty?"))
    assert len(graph.instagram_sent()) == len(parts) + 2


def test_an_echo_arriving_before_the_send_returns_is_ours(client, app, fakes, shop):
    """Meta may deliver the echo while our send call is still waiting for its answer; the
    reply must not be mistaken for the owner's, and its record must not be lost."""
    _, graph = fakes
    echo_client = app.test_client()
    original = graph._send_instagram

    def send_and_echo_first(account, body, *rest):
        reply = original(account, body, *rest)
        mid = reply.body["message_id"]  # the id we will only learn once this call returns
        response = meta_post(
            echo_client, "instagram", g.instagram_echo_payload(body["message"]["text"], mid=mid)
        )
        assert response.status_code == 200
        return reply

    graph._send_instagram = send_and_echo_first
    try:
        meta_post(client, "instagram", g.instagram_text_payload("Do you have a warranty?"))
    finally:
        graph._send_instagram = original
    sent = graph.instagram_sent()
    assert len(sent) == 1
    assert not _conversation(app).is_paused()
    (reply,) = _outbound(app)
    assert (reply.sender, reply.status, reply.external_id) == ("bot", "sent", sent[0]["_id"])
    with app.app_context():
        inbound = db.session.scalar(select(Message.status).where(Message.direction == "in"))
    assert inbound == "answered"


def test_new_text_from_the_owners_app_after_a_bot_reply_pauses(client, app, fakes, shop):
    _, graph = fakes
    meta_post(client, "instagram", g.instagram_text_payload("Do you have a warranty?"))
    bot_text = graph.instagram_sent()[0]["message"]["text"]
    meta_post(client, "instagram", g.instagram_echo_payload(bot_text))  # ours, by text
    assert not _conversation(app).is_paused()
    meta_post(client, "instagram", g.instagram_echo_payload("Men o‘zim javob beraman, kuting."))
    assert _conversation(app).is_paused()
    assert [m.sender for m in _outbound(app)] == ["bot", "owner"]


def test_an_account_moved_to_another_owner_starts_new_conversations(
    client, app, fakes, shop, user_factory
):
    """Owner A disconnects a WhatsApp number and owner B connects it: B's customers (even one
    who wrote to A before) get B's conversations, B's knowledge base and B's token."""
    _, graph = fakes
    customer = "998901112233"
    meta_post(
        client, "whatsapp", g.whatsapp_text_payload("Do you have a warranty?", wa_id=customer)
    )
    assert len(graph.whatsapp_sent()) == 1

    other = user_factory(email="b@example.com", phone="+998935554433")
    with app.app_context():
        db.session.delete(db.session.scalar(select(WhatsAppAccount)))
        add_kb(other.id, text="Kafolat: bizda kafolat yo‘q, faqat almashtirish 3 kun ichida.")
        wa = WhatsAppAccount(
            user_id=other.id,
            phone_number_id=g.DEFAULT_PHONE_NUMBER_ID,
            waba_id="1",
            app_id="2",
            verify_token="verify-wa-b",
        )
        wa.set_secrets(WA_TOKEN, APP_SECRET)
        db.session.add(wa)
        db.session.commit()

    assert (
        meta_post(
            client, "whatsapp", g.whatsapp_text_payload("Kafolat bormi?", wa_id=customer)
        ).status_code
        == 200
    )
    with app.app_context():
        convs = db.session.scalars(
            select(Conversation)
            .where(Conversation.platform == "whatsapp")
            .order_by(Conversation.id)
        ).all()
        assert [c.user_id for c in convs] == [shop.id, other.id]
        assert [c.message_count for c in convs] == [2, 2]
        b_reply = db.session.scalar(
            select(Message.text).where(Message.user_id == other.id, Message.direction == "out")
        )
    assert "almashtirish" in b_reply
    assert len(graph.whatsapp_sent()) == 2


def test_a_short_owner_message_that_a_bot_reply_contains_still_pauses(client, app, fakes, shop):
    """Only an echo equal to something we sent (or to one of its parts) is ours: the owner
    typing "Ha" or a price that the bot's reply happens to contain is a person taking over."""
    _, graph = fakes
    meta_post(client, "instagram", g.instagram_text_payload("Do you have a warranty?"))
    bot_text = graph.instagram_sent()[0]["message"]["text"]
    first_word = bot_text.split()[0]
    assert first_word != bot_text.strip()
    meta_post(client, "instagram", g.instagram_echo_payload(first_word))
    assert _conversation(app).is_paused()


def test_a_send_cut_off_by_a_crash_is_marked_failed_not_left_pending(app, fakes, shop):
    """Meta messages are committed before the send; if the worker dies there, the recovery job
    marks the message failed (not resent: it may have gone out)."""
    from models.base import utcnow
    from scheduler import run_job

    _, graph = fakes
    meta_post(app.test_client(), "instagram", g.instagram_text_payload("Salom"))
    with app.app_context():
        conv = db.session.scalar(select(Conversation))
        stuck = Message.new_outbound(conv, "Javob yo‘lda edi", sender="bot")
        db.session.flush()
        stuck.created_at = utcnow() - timedelta(minutes=11)
        fresh = Message.new_outbound(conv, "Hozir yuborilmoqda", sender="bot")
        db.session.commit()
        stuck_id, fresh_id = stuck.id, fresh.id
    sent_before = len(graph.instagram_sent())
    assert run_job(app, "messages-requeue-stale")["sends_failed"] == 1
    with app.app_context():
        assert db.session.get(Message, stuck_id).status == "failed"
        assert "interrupted" in db.session.get(Message, stuck_id).error
        assert db.session.get(Message, fresh_id).status == "pending"
    assert len(graph.instagram_sent()) == sent_before
