"""Sending a message to a customer through the owner's channel, and recording it.

Used for bot replies (from the engine), for owners replying by hand and for admins.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from channels.base import SendResult
from channels.instagram import InstagramClient
from channels.telegram import TelegramClient, language_picker_markup
from channels.whatsapp import WhatsAppClient
from core.crypto import SecretError
from extensions import db
from models.base import utcnow
from models.channel import InstagramAccount, TelegramBot, WhatsAppAccount
from models.conversation import WINDOW_PLATFORMS, Conversation, Message

if TYPE_CHECKING:
    from pipeline.engine import EngineReply

log = logging.getLogger(__name__)

# Stored on the message for the admin's and owner's conversation views (platform errors are
# stored as the platform wrote them, so this one is too: in English).
INTERRUPTED_SEND = "interrupted before the platform confirmed the send (not retried)"


class OutsideWindow(ValueError):
    """WhatsApp and Instagram refuse free-form messages 24 hours after the customer's last one."""

    def __str__(self) -> str:
        return str(
            _l(
                "The customer wrote more than 24 hours ago, so %(platform)s does not allow a "
                "free-form message now. The customer has to write first.",
                platform=self.args[0].capitalize(),
            )
        )


class ChannelMissing(ValueError):
    """The owner has disconnected the channel this conversation came from."""

    def __str__(self) -> str:
        return str(_l("This channel is no longer connected."))


def _deliver(conv: Conversation, text: str, language_picker: bool = False) -> SendResult:
    """Send through the right platform client; never raises for platform trouble."""
    config = current_app.config
    if conv.platform == "web":
        return SendResult(ok=True, external_ids=[])
    model = {"telegram": TelegramBot, "whatsapp": WhatsAppAccount, "instagram": InstagramAccount}[
        conv.platform
    ]
    channel = db.session.query(model).filter_by(user_id=conv.user_id).one_or_none()
    if channel is None or channel.account_ref != conv.account_ref:
        return SendResult(ok=False, external_ids=[], error=str(ChannelMissing()))
    try:
        if conv.platform == "telegram":
            markup = language_picker_markup() if language_picker else None
            return TelegramClient.from_config(config, channel.token).send_message(
                conv.customer_ref, text, reply_markup=markup
            )
        if conv.platform == "whatsapp":
            return WhatsAppClient.from_config(
                config, channel.access_token, channel.phone_number_id
            ).send_text(conv.customer_ref, text)
        return InstagramClient.from_config(
            config, channel.access_token, channel.ig_account_id
        ).send_text(conv.customer_ref, text)
    except SecretError as exc:
        return SendResult(ok=False, external_ids=[], error=str(exc))


def _commit_before_sending(msg: Message) -> None:
    """Meta sends our own messages back as echoes, sometimes before the send call has returned:
    commit the pending message first, so the echo's webhook can see it and recognise its text
    (`pipeline.store._sent_by_us`) instead of taking it for the owner writing from the app."""
    if msg.platform in WINDOW_PLATFORMS:
        db.session.commit()


def _record(msg: Message, result: SendResult) -> Message:
    if result.ok:
        msg.status = "sent"
        if result.external_ids:
            # Meta refers to our messages by id (WhatsApp statuses, Instagram echoes), so keep it
            # as the key. Telegram message ids are numbered per chat (two customers' replies both
            # get id 1) and would also collide with update ids: key them by chat.
            first = result.external_ids[0]
            if msg.platform == "telegram":
                first = f"out:{msg.conversation.customer_ref}:{first}"
            msg.external_id = first
    else:
        msg.status = "failed"
        msg.error = (result.error or "send failed")[:1000]
        if result.blocked:
            msg.conversation.blocked_at = utcnow()
    return msg


def send_reply(
    conv: Conversation,
    text: str,
    *,
    reply_to: Message | None = None,
    engine: EngineReply | None = None,
    language_picker: bool = False,
) -> Message:
    """Store and send the bot's reply (with the engine's figures); failures are recorded."""
    msg = Message.new_outbound(conv, text, sender="bot", reply_to=reply_to)
    if engine is not None:
        msg.language, msg.provider, msg.model = engine.language, engine.provider, engine.model
        msg.tokens_in, msg.tokens_out, msg.latency_ms = (
            engine.tokens_in,
            engine.tokens_out,
            engine.latency_ms,
        )
        msg.chunks_json = engine.chunks_json()
    db.session.flush()
    _commit_before_sending(msg)
    _record(msg, _deliver(conv, text, language_picker))
    if engine is not None and engine.status == "failed":
        msg.error = engine.error  # the customer got the apology; the cause is kept for the admin
    return msg


def send_to_conversation(conv: Conversation, text: str, sender: str) -> Message:
    """A message written by a person (owner or admin); refused outside Meta's 24-hour window."""
    if not conv.window_open():
        raise OutsideWindow(conv.platform)
    msg = Message.new_outbound(conv, text, sender=sender)
    db.session.flush()
    _commit_before_sending(msg)
    return _record(msg, _deliver(conv, text))


# A send takes seconds (bounded retries included); one still pending after this never finished.
PENDING_SEND_LIMIT = timedelta(minutes=10)


def fail_interrupted_sends(now=None) -> int:
    """Mark outbound messages a crash left pending as failed, so owner and admin see them.

    Meta messages are committed before sending (see _commit_before_sending), so a worker dying
    mid-send leaves one pending; it is not sent again (it may have gone out), never answered
    twice, but no longer looks as if it were on its way."""
    cutoff = (now or utcnow()) - PENDING_SEND_LIMIT
    failed = db.session.execute(
        update(Message)
        .where(
            Message.direction == "out",
            Message.status == "pending",
            Message.created_at < cutoff,
        )
        .values(status="failed", error=INTERRUPTED_SEND)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if failed:
        log.warning("marked %s interrupted sends as failed", failed)
    return failed
