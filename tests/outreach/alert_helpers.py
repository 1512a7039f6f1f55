"""Shared steps of the Telegram alert tests: link the owner's chat through the account page and
the fake Telegram, read what the owner's chat received."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from extensions import db
from models.conversation import Conversation, Message
from models.owner_alerts import AlertSettings, OwnerAlert
from tests.channel_fixtures import tg_post
from tests.fakes import telegram as t

OWNER_CHAT = 700700700
CUSTOMER_CHAT = 555000111
LINK_RX = re.compile(r'href="https://t\.me/(?P<bot>[A-Za-z0-9_]+)\?start=(?P<code>[A-Za-z0-9_-]+)"')


def new_link(client) -> tuple[str, str]:
    """Ask for a deep link on the account page: (bot username, code)."""
    response = client.post("/account/alerts/link", follow_redirects=True)
    assert response.status_code == 200
    found = LINK_RX.search(response.get_data(as_text=True))
    assert found, "no deep link on the account page"
    return found["bot"], found["code"]


def start(client, shop, code: str, chat_id: int = OWNER_CHAT, **kw):
    update = t.telegram_start_update(chat_id=chat_id, payload=code, **kw)
    response = tg_post(client, shop.id, update, shop.telegram_secret)
    assert response.status_code == 200
    return update


def link(client, shop, chat_id: int = OWNER_CHAT) -> str:
    _bot, code = new_link(client)
    start(client, shop, code, chat_id=chat_id)
    return code


def settings(app, user_id: int) -> AlertSettings | None:
    with app.app_context():
        row = AlertSettings.find(user_id)
        if row is not None:
            db.session.expunge(row)
        return row


def alerts(app, user_id: int, kind: str | None = None) -> list[OwnerAlert]:
    with app.app_context():
        query = select(OwnerAlert).where(OwnerAlert.user_id == user_id)
        if kind:
            query = query.where(OwnerAlert.kind == kind)
        rows = list(db.session.scalars(query.order_by(OwnerAlert.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def owner_texts(tg, chat_id: int = OWNER_CHAT) -> list[str]:
    return tg.sent_texts(chat_id)


def customer_rows(app, customer_ref: str) -> int:
    """Messages stored in conversations with this chat (a customer's, never the owner's)."""
    with app.app_context():
        return db.session.scalar(
            select(func.count(Message.id))
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.customer_ref == customer_ref)
        )


def reply_to(client, shop, message_id, text: str, chat_id: int = OWNER_CHAT, **kw):
    """The owner replies (Telegram "Reply") to one of the bot's messages in their chat."""
    msg = t.telegram_message(
        chat_id=chat_id, text=text, reply_to_message={"message_id": int(message_id)}
    )
    update = t.telegram_update(message=msg, **kw)
    response = tg_post(client, shop.id, update, shop.telegram_secret)
    assert response.status_code == 200
    return update
