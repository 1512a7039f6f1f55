"""Sending a message to a customer through the owner's channel, and recording it.

Used for bot replies (from the engine), for owners replying by hand and for admins.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, bindparam, select

from channels import CHANNELS, SendResult
from core.crypto import SecretError
from extensions import db
from models.base import utcnow
from models.conversation import Conversation, Message
from models.owner_alerts import note_channel
from pipeline.recording import commit_result, follow, written_once

if TYPE_CHECKING:
    from pipeline.engine import EngineReply

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


def channel_account(conv: Conversation):
    """The owner's connection the conversation came through; raises ChannelMissing when it has
    been disconnected (or replaced by another account). None for the test chat."""
    channel = CHANNELS[conv.platform]
    if channel.model is None:
        return None
    account = db.session.scalars(_account_of(channel.model), {"user_id": conv.user_id}).first()
    if account is None or account.account_ref != conv.account_ref:
        raise ChannelMissing()
    return account


@cache
def _account_of(model):
    """The owner's account of a channel (one per owner): built once, every reply reads it."""
    return select(model).where(model.user_id == bindparam("user_id", type_=Integer))


def _deliver(
    conv: Conversation,
    text: str,
    language_picker: bool = False,
    durable: bool = False,
    parts_sent: int = 0,
) -> SendResult:
    """Send through the conversation's channel; never raises for platform trouble."""
    channel = CHANNELS[conv.platform]
    try:
        account = channel_account(conv)
    except ChannelMissing as exc:
        return SendResult(ok=False, external_ids=[], error=str(exc))
    try:
        return channel.send(
            current_app.config,
            account,
            conv.customer_ref,
            text,
            language_picker=language_picker,
            durable=durable,
            parts_sent=parts_sent,
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


def _keep_first_id(msg: Message, result: SendResult) -> None:
    """The id of the reply's first part is its key (parts that went out on an earlier try keep
    theirs). Meta refers to our messages by id (WhatsApp statuses, Instagram echoes). Telegram
    message ids are numbered per chat (two customers' replies both get id 1) and would also
    collide with update ids: they are keyed by chat."""
    if result.external_ids and msg.external_id is None:
        first = result.external_ids[0]
        if msg.platform == "telegram":
            first = f"out:{msg.conversation.customer_ref}:{first}"
        msg.external_id = first


def _record(msg: Message, result: SendResult) -> Message:
    if result.ok:
        msg.status = "sent"
        _keep_first_id(msg, result)
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
    status: str | None = None,
    engine: EngineReply | None = None,
    language_picker: bool = False,
    deferrable: bool = False,
    lease: dict | None = None,
) -> Message:
    """Store and send the bot's reply (with the engine's figures); failures are recorded, and
    the question it answers (`reply_to`) is marked with the result (`follow`). A deferrable
    reply the platform refuses for now is kept as "retrying" instead of failing. `lease`:
    the answering worker's (queue.lease_terms): nothing is sent once another holds it."""
    figures = {}
    if engine is not None:
        figures = {
            "language": engine.language,
            "provider": engine.provider,
            "model": engine.model,
            "tokens_in": engine.tokens_in,
            "tokens_out": engine.tokens_out,
            "latency_ms": engine.latency_ms,
            "chunks_json": engine.chunks_json(),
            "dont_know": engine.dont_know,
        }
    msg = Message.new_outbound(conv, text, sender="bot", reply_to=reply_to, lease=lease, **figures)
    _commit_before_sending(msg)
    result = _deliver(conv, text, language_picker, durable=deferrable)
    with written_once():
        if not (deferrable and _defer(msg, result)):
            _record(msg, result)
        if engine is not None:
            if engine.status == "failed":
                msg.error = engine.error  # the customer got the apology; the cause is kept
            if reply_to is not None:
                reply_to.language = engine.language
        if reply_to is not None:
            follow(reply_to, msg, status)
        commit_result(msg, reply_to)
    return msg


def resend(msg: Message, question: Message, language_picker: bool = False) -> Message:
    """Try a reply the platform refused for now once more (its retry_at has come), and mark
    the question it answers with the result."""
    msg.status, msg.retry_at = "pending", None
    _commit_before_sending(msg)
    result = _deliver(
        msg.conversation, msg.text or "", language_picker, durable=True, parts_sent=msg.parts_sent
    )
    with written_once():
        if not _defer(msg, result):
            _record(msg, result)
        follow(question, msg)
        commit_result(msg, question)
    return msg


def _defer(msg: Message, result: SendResult) -> bool:
    """Keep a refused-for-now reply for a later try (Telegram's retry_after, else backoff),
    while tries are left; False when the result is final."""
    if not result.refused_for_now:
        return False
    _keep_first_id(msg, result)
    msg.parts_sent = (msg.parts_sent or 0) + len(result.external_ids)
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
    _commit_before_sending(msg)
    result = _deliver(conv, text)
    with written_once():
        _record(msg, result)
        commit_result(msg)
    return msg
