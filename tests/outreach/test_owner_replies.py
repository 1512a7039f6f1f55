"""The owner answers a customer by replying to the alert in Telegram: the text reaches that
customer on their own channel as an owner message (the inbox reply's path: bot paused, Meta's
24-hour rule with the translated refusal sent back), never anyone else's customer."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models.base import utcnow
from models.conversation import Conversation, Message
from models.owner_alerts import OwnerAlert
from models.user import User
from tests.channel_fixtures import meta_post, tg_post
from tests.fakes import graph as g
from tests.fakes import telegram as t
from tests.outreach.alert_helpers import (
    CUSTOMER_CHAT,
    OWNER_CHAT,
    alerts,
    link,
    owner_texts,
    reply_to,
)

OWNER_LANGUAGE = "en"
ANSWER = "Assalomu alaykum! Ertaga soat 10 da qo‘ng‘iroq qilamiz."


def _ask_for_person(client, shop, platform):
    if platform == "telegram":
        update = t.telegram_text_update("operator kerak", chat_id=CUSTOMER_CHAT, first_name="Aziz")
        tg_post(client, shop.id, update, shop.telegram_secret)
    elif platform == "whatsapp":
        meta_post(client, "whatsapp", g.whatsapp_text_payload("operator kerak", name="Aziz"))
    else:
        meta_post(client, "instagram", g.instagram_text_payload("operator kerak"))
    [alert] = alerts(client.application, shop.id, "human")
    return alert


def _delivered(tg, graph, platform):
    if platform == "telegram":
        return tg.sent_texts(CUSTOMER_CHAT)
    if platform == "whatsapp":
        return graph.whatsapp_texts(to=g.DEFAULT_WA_ID)
    return graph.instagram_texts(recipient_id=g.DEFAULT_IGSID)


def _owner_messages(app, conv_id):
    with app.app_context():
        return list(
            db.session.scalars(
                select(Message.text).where(
                    Message.conversation_id == conv_id, Message.sender == "owner"
                )
            )
        )


@pytest.mark.parametrize("platform", ["telegram", "whatsapp", "instagram"])
def test_a_reply_to_an_alert_reaches_that_customer_on_their_channel(
    client, app, fakes, shop, platform
):
    tg, graph = fakes
    link(client, shop)
    alert = _ask_for_person(client, shop, platform)
    update = reply_to(client, shop, alert.telegram_message_id, ANSWER)
    tg_post(client, shop.id, update, shop.telegram_secret)  # redelivered: still sent once
    assert _delivered(tg, graph, platform).count(ANSWER) == 1
    assert _owner_messages(app, alert.conversation_id) == [ANSWER]
    with app.app_context():
        conv = db.session.get(Conversation, alert.conversation_id)
        assert conv.platform == platform and conv.is_paused()  # the owner took over
        # The owner's chat is no customer: nothing of it was stored as one.
        assert (
            db.session.scalar(
                select(Conversation.id).where(Conversation.customer_ref == str(OWNER_CHAT))
            )
            is None
        )
    assert owner_texts(tg)[-1] == f"Sent to {conv.customer_name or conv.customer_ref}."
    [inbox] = alerts(app, shop.id, "inbox")
    assert inbox.status == "sent" and inbox.conversation_id == alert.conversation_id


def test_outside_the_24_hour_window_the_owner_hears_why_in_their_language(client, app, fakes, shop):
    tg, graph = fakes
    link(client, shop)
    alert = _ask_for_person(client, shop, "whatsapp")
    with app.app_context():
        db.session.get(User, shop.id).language = "ru"
        conv = db.session.get(Conversation, alert.conversation_id)
        conv.last_inbound_at = utcnow() - timedelta(hours=25)
        db.session.commit()
    before = len(graph.whatsapp_texts())
    reply_to(client, shop, alert.telegram_message_id, ANSWER)
    assert len(graph.whatsapp_texts()) == before  # nothing sent to the customer
    assert owner_texts(tg)[-1].startswith("Клиент писал более 24 часов назад, поэтому Whatsapp")
    assert _owner_messages(app, alert.conversation_id) == []
    [inbox] = alerts(app, shop.id, "inbox")
    assert inbox.status == "refused"


def test_a_failed_delivery_is_reported_back(client, app, fakes, shop):
    tg, _ = fakes
    link(client, shop)
    alert = _ask_for_person(client, shop, "telegram")
    tg.block(CUSTOMER_CHAT)
    reply_to(client, shop, alert.telegram_message_id, ANSWER)
    assert owner_texts(tg)[-1].startswith("The message could not be sent: Forbidden")


def test_a_reply_to_anything_but_an_alert_about_a_customer_goes_nowhere(client, app, fakes, shop):
    tg, _ = fakes
    link(client, shop)
    _ask_for_person(client, shop, "telegram")
    [linked] = [m for m in tg.sent_messages(OWNER_CHAT) if m["text"].startswith("✅")]
    before = len(tg.sent_texts(CUSTOMER_CHAT))
    reply_to(client, shop, linked["message_id"], ANSWER)
    assert owner_texts(tg)[-1].startswith("To answer a customer, reply to the alert")
    assert len(tg.sent_texts(CUSTOMER_CHAT)) == before


def test_another_owners_alert_id_never_routes_a_reply(client, app, fakes, shop, user_factory):
    """Owner B's alert with the same chat and message id as A's reply names no customer of A's
    and never reaches B's customer."""
    tg, _ = fakes
    link(client, shop)
    other = user_factory(language="en")
    with app.app_context():
        conv = Conversation.get_or_create(other.id, "telegram", "111", "999111")
        db.session.flush()
        db.session.add(
            OwnerAlert(
                user_id=other.id, kind="human", key="human:x", conversation_id=conv.id,
                chat_id=str(OWNER_CHAT), telegram_message_id="77", status="sent",
            )
        )  # fmt: skip
        db.session.commit()
        other_conv = conv.id
    reply_to(client, shop, 77, ANSWER)
    assert owner_texts(tg)[-1].startswith("To answer a customer, reply to the alert")
    assert _owner_messages(app, other_conv) == [] and tg.sent_texts("999111") == []
    assert alerts(app, shop.id, "inbox") == []


def test_a_stranger_replying_in_their_own_chat_is_just_a_customer(client, app, fakes, shop):
    link(client, shop)
    alert = _ask_for_person(client, shop, "telegram")
    reply_to(client, shop, alert.telegram_message_id, "Men ham so‘rayman", chat_id=31337)
    with app.app_context():
        stranger = db.session.scalar(
            select(Conversation).where(Conversation.customer_ref == "31337")
        )
        assert stranger is not None  # a customer conversation, answered by the bot
    assert _owner_messages(app, alert.conversation_id) == []
    assert alerts(app, shop.id, "inbox") == []
