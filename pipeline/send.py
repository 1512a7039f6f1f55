"""Sending a message to a customer through the owner's channel, and recording it.

Used for bot replies (from the engine), for owners replying by hand and for admins.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import lazy_gettext as _l

from channels import CHANNELS, SendResult
from core.crypto import SecretError
from extensions import db
from models.base import utcnow
from models.conversation import Conversation, Message
from models.owner_alerts import note_channel

if TYPE_CHECKING:
    from pipeline.engine import EngineReply

log = logging.getLogger(__name__)

# A refused-for-now reply waits at most this long for one more try (Telegram's retry_after can
# be longer; the reply is then tried sooner and refused again, within SEND_RETRY_ATTEMPTS).
SEND_RETRY_MAX_WAIT = 60.0

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


def _deliver(
    conv: Conversation, text: str, language_picker: bool = False, durable: bool = False
) -> SendResult:
    """Send through the conversation's channel; never raises for platform trouble."""
    channel = CHANNELS[conv.platform]
    account = None
    if channel.model is not None:
        account = db.session.query(channel.model).filter_by(user_id=conv.user_id).one_or_none()
        if account is None or account.account_ref != conv.account_ref:
            return SendResult(ok=False, external_ids=[], error=str(ChannelMissing()))
    try:
        return channel.send(
            current_app.config,
            account,
            conv.customer_ref,
            text,
            language_picker=language_picker,
            durable=durable,
        )
    except SecretError as exc:
        return SendResult(ok=False, external_ids=[], error=str(exc))


def _commit_before_sending(msg: Message) -> None:
    """One rule for every channel: record the attempt, send, record the result. A crash between
    the send and the result leaves the message pending, and it is settled as failed and shown
    (pipeline/recovery.py), never sent again blindly: it may have gone out. Meta also sends our
    own messages back as echoes, sometimes before the send call has returned; committed first,
    the echo's webhook can recognise its text (`pipeline.store._sent_by_us`)."""
    if msg.platform != "web":
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
        if result.token_invalid or result.outside_window:
            # The channel stopped working (or Meta refused a reply): tell the owner.
            problem = "token" if result.token_invalid else "window"
            note_channel(msg.user_id, msg.platform, problem, result.error or "")
    return msg


def send_reply(
    conv: Conversation,
    text: str,
    *,
    reply_to: Message | None = None,
    engine: EngineReply | None = None,
    language_picker: bool = False,
    deferrable: bool = False,
) -> Message:
    """Store and send the bot's reply (with the engine's figures); failures are recorded. A
    deferrable reply the platform refuses for now is kept as "retrying" instead of failing."""
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
    result = _deliver(conv, text, language_picker, durable=deferrable)
    if not (deferrable and _defer(msg, result)):
        _record(msg, result)
    if engine is not None and engine.status == "failed":
        msg.error = engine.error  # the customer got the apology; the cause is kept for the admin
    return msg


def resend(msg: Message, language_picker: bool = False) -> Message:
    """Try a reply the platform refused for now once more (its retry_at has come)."""
    msg.status, msg.retry_at = "pending", None
    _commit_before_sending(msg)
    result = _deliver(msg.conversation, msg.text or "", language_picker, durable=True)
    if not _defer(msg, result):
        _record(msg, result)
    return msg


def _defer(msg: Message, result: SendResult) -> bool:
    """Keep a refused-for-now reply for a later try (Telegram's retry_after, else backoff),
    while tries are left; False when the result is final."""
    if not result.refused_for_now:
        return False
    msg.attempts = attempts = (msg.attempts or 0) + 1
    if attempts >= current_app.config["SEND_RETRY_ATTEMPTS"]:
        return False  # recorded as failed, with the platform's words
    wait = result.retry_after if result.retry_after is not None else 2.0**attempts
    msg.status = "retrying"
    msg.retry_at = utcnow() + timedelta(seconds=min(max(wait, 1.0), SEND_RETRY_MAX_WAIT))
    msg.error = (result.error or "refused for now")[:1000]
    return True


def send_to_conversation(conv: Conversation, text: str, sender: str) -> Message:
    """A message written by a person (owner or admin); refused outside Meta's 24-hour window."""
    if not conv.window_open():
        raise OutsideWindow(conv.platform)
    msg = Message.new_outbound(conv, text, sender=sender)
    db.session.flush()
    _commit_before_sending(msg)
    return _record(msg, _deliver(conv, text))
