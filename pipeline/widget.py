"""The website chat's two operations: a visitor's message into the one pipeline (stored once,
then queued for the worker like a webhook's), and what the visitor's page has not shown yet.

The views are routes/widget_routes.py; the widget's values (ids, origins) are channels/widget.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from channels.widget import PLATFORM, client_id_of, inbound_event
from extensions import db
from models.base import utcnow
from models.channel import WebWidget
from models.conversation import Conversation, Message
from pipeline.store import store_events

# What a visitor's page reads in one poll; it asks again from the cursor for the rest.
UPDATES_LIMIT = 100
# Outbound messages the visitor is shown; pending/retrying ones hold the cursor back until they
# settle, failed ones never reached them.
SHOWN = ("sent", "delivered", "read")
UNSETTLED = ("pending", "retrying")


def receive(widget: WebWidget, visitor: str, client_id: str, text: str, lang: str | None) -> set:
    """Store one visitor message (a repeated client id is a no-op); returns the conversations
    to hand to the answer queue. Until the visitor writes something the detector is sure of,
    the reply follows their browser's language (`lang`), as pipeline/language.py keeps a
    conversation's language when a message gives no clear signal."""
    conv = Conversation.get_or_create(widget.user_id, PLATFORM, widget.widget_key, visitor)
    if conv.language is None and lang:
        conv.language, conv.script = lang, "cyrl" if lang == "ru" else "latn"
    event = inbound_event(widget.widget_key, visitor, client_id, text, utcnow())
    waiting = store_events(widget.user_id, widget.widget_key, [event])
    if waiting:
        widget.note_message()
    return waiting


@dataclass
class Updates:
    messages: list[dict] = field(default_factory=list)
    cursor: int = 0
    waiting: bool = False  # the bot is about to answer: the page shows "typing"
    human: bool = False  # the owner took over: the page says a person answers now

    def as_json(self) -> dict:
        return {
            "messages": self.messages,
            "cursor": self.cursor,
            "waiting": self.waiting,
            "human": self.human,
        }


def _conversation(widget: WebWidget, visitor: str) -> Conversation | None:
    return db.session.scalar(
        select(Conversation).where(
            Conversation.user_id == widget.user_id,
            Conversation.platform == PLATFORM,
            Conversation.account_ref == widget.widget_key,
            Conversation.customer_ref == visitor,
        )
    )


def _as_json(msg: Message) -> dict:
    return {
        "id": msg.id,
        "from": "visitor" if msg.direction == "in" else "bot" if msg.sender == "bot" else "owner",
        "text": msg.text or "",
        "client_id": client_id_of(msg.external_id) if msg.direction == "in" else None,
    }


def updates(widget: WebWidget, visitor: str, after: int) -> Updates:
    """The visitor's messages and the replies after the page's cursor. The cursor stops before
    a reply still being sent, so a page never skips it when a later message shows first."""
    conv = _conversation(widget, visitor)
    if conv is None:
        return Updates(cursor=after)
    rows = list(
        db.session.scalars(
            select(Message)
            .where(Message.conversation_id == conv.id, Message.id > after)
            .order_by(Message.id)
            .limit(UPDATES_LIMIT)
        )
    )
    found = Updates(cursor=rows[-1].id if rows else after, human=conv.is_paused())
    for msg in rows:
        if msg.direction == "out" and msg.status in UNSETTLED:
            found.cursor = min(found.cursor, msg.id - 1)
        if msg.direction == "in" or msg.status in SHOWN:
            found.messages.append(_as_json(msg))
    found.waiting = not found.human and _unanswered(conv.id)
    return found


def _unanswered(conv_id: int) -> bool:
    return (
        db.session.scalar(
            select(Message.id)
            .where(
                Message.conversation_id == conv_id,
                Message.direction == "in",
                Message.status.in_(("received", "processing")),
            )
            .limit(1)
        )
        is not None
    )
