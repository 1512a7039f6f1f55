"""Storing what a webhook delivered, in one transaction, exactly once.

The webhook view calls `store_events`, commits, then enqueues `process_inbound` for the new
messages. A redelivered or concurrently delivered event hits the unique key and is skipped.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from channels import InboundEvent, split_for_platform
from extensions import db
from models import inbound
from models.base import utcnow
from models.conversation import Conversation, Message

# An echo equal to a message we sent this recently (or to one of its parts) is ours: _sent_by_us.
ECHO_MATCH_WINDOW = timedelta(minutes=15)
ECHO_MATCH_CANDIDATES = 20

# Outbound status can only move forward (a late "delivered" never undoes "read").
STATUS_RANK = {"pending": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}


def store_events(user_id: int, account_ref: str, events: list[InboundEvent]) -> set[int]:
    """Store every event of one tenant; returns the conversations with new messages to answer
    (duplicates skipped)."""
    waiting: set[int] = set()
    for event in events:
        if event.kind == "status":
            _apply_status(event, account_ref)
            continue
        customer = event.recipient_id if event.kind == "echo" else event.sender_id
        if not customer:
            continue
        if event.kind == "echo":
            conv = Conversation.get_or_create(user_id, event.platform, account_ref, customer)
            _apply_echo(conv, event)
        elif event.kind in ("blocked", "unblocked"):
            conv = Conversation.get_or_create(
                user_id, event.platform, account_ref, customer, event.sender_name
            )
            conv.blocked_at = utcnow() if event.kind == "blocked" else None
        elif (conv_id := _store_message(user_id, account_ref, customer, event)) is not None:
            waiting.add(conv_id)
    return waiting


def _store_message(user_id: int, account_ref: str, customer: str, event: InboundEvent):
    """Store a customer's message (the webhook's hot path: plain statements, no ORM objects for
    a known conversation, and on PostgreSQL one statement); the conversation's id when the
    message is new, None when not."""
    key = (user_id, event.platform, account_ref, customer)
    fields = dict(
        external_id=event.external_id,
        text=event.callback_data if event.kind == "callback" else event.text,
        kind=event.kind,
        sent_at=event.timestamp,
        callback_id=event.callback_id,
        media=_media(event),
    )
    folded = inbound.store_for_known_conversation(key, fields, event.sender_name)
    if folded is not None and folded[0] is None:  # PostgreSQL, the customer's first message
        inbound.create_conversation(key, event.sender_name)
        folded = inbound.store_for_known_conversation(key, fields, event.sender_name)
    if folded is not None:
        conv_id, message_id = folded
        return conv_id if message_id is not None else None
    conv_id, name, last_inbound_at = inbound.find_or_create_conversation(key, event.sender_name)
    if inbound.insert_message(conv_id, *key[:3], **fields) is None:
        return None
    fill_name = event.sender_name if event.sender_name and not name else None
    inbound.note_conversation(
        conv_id, event.platform, "customer", last_inbound_at, event.timestamp, fill_name
    )
    return conv_id


def _media(event: InboundEvent) -> dict | None:
    """What the worker needs to fetch a voice note or photo (pipeline/media.py)."""
    if event.media_type is None:
        return None
    return {
        "media_type": event.media_type[:16],
        "media_ref": event.media_ref,
        "media_mime": event.media_mime,
        "media_duration": event.media_duration,
    }


def _apply_status(event: InboundEvent, account_ref: str) -> None:
    """A WhatsApp status describes one of our outbound messages: update it, never answer it."""
    msg = db.session.scalar(
        select(Message).where(
            Message.platform == event.platform,
            Message.account_ref == account_ref,
            Message.external_id == event.external_id,
            Message.direction == "out",
        )
    )
    if msg is None or event.status not in STATUS_RANK:
        return
    if STATUS_RANK[event.status] > STATUS_RANK.get(msg.status, 0):
        msg.status = event.status
        if event.status == "failed":
            msg.error = (event.error or "failed")[:1000]


def _apply_echo(conv: Conversation, event: InboundEvent) -> None:
    """A message the business sent from the WhatsApp/Instagram app: record it and let the person
    take over (our own bot replies come back as echoes too; their ids are already stored)."""
    known = db.session.scalar(
        select(Message.id).where(
            Message.platform == event.platform,
            Message.account_ref == conv.account_ref,
            Message.external_id == event.external_id,
        )
    )
    if known is not None or _sent_by_us(conv, event.text):
        return
    stored = Message.new_outbound(
        conv,
        event.text or "",
        sender="owner",
        status="sent",
        external_id=event.external_id,
        sent_at=event.timestamp,
    )
    if stored is None:
        return  # a concurrent redelivery of the same echo stored it
    conv.pause(current_app.config["HUMAN_TAKEOVER_MINUTES"])


def _sent_by_us(conv: Conversation, text: str | None) -> bool:
    """Whether an echo is a message we sent through the API (bot, owner's page, admin).

    Only the first id of a split reply is stored, and an echo can arrive before the send call
    returns with any id at all; but the outbound message is committed before sending, so its
    text is there: an echo equal to a recent outbound text, or to one of the parts the platform's
    adapter split it into, is ours. Anything else (even a short "Ha" that a reply contains) is a
    person typing in the app, and pauses the bot."""
    needle = " ".join((text or "").split())
    if not needle:
        return False  # we never send media; an attachment from the app is the owner's
    recent = db.session.scalars(
        select(Message.text)
        .where(
            Message.conversation_id == conv.id,
            Message.direction == "out",
            Message.created_at >= utcnow() - ECHO_MATCH_WINDOW,
        )
        .order_by(Message.id.desc())
        .limit(ECHO_MATCH_CANDIDATES)
    )
    return any(
        needle == " ".join(part.split())
        for sent in recent
        for part in [sent or "", *split_for_platform(conv.platform, sent or "")]
    )
