"""Sending a message to a customer through the owner's channel, and recording it.

Used for bot replies (from the engine), for owners replying by hand and for admins.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, bindparam, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.attributes import set_committed_value

from channels import CHANNELS, SendResult
from core.crypto import SecretError
from core.retry import backoff, call_with_retries
from extensions import db
from models.base import database_away, utcnow
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


_RESULT_COLUMNS = ("status", "external_id", "error", "retry_at", "attempts", "parts_sent")
# What a question takes from its reply's result (pipeline/worker.py sets its language with it).
_QUESTION_COLUMNS = ("status", "error", "language")


def follow(question: Message, reply: Message, status: str | None = None) -> None:
    """Mark the question by what really happened to its reply (kept in processing while the
    reply waits for another try). `status` is what a delivered reply makes of it."""
    if reply.status == "retrying":
        question.status = "processing"
    elif reply.status == "failed":
        question.status = "failed"
        question.error = question.error or reply.error
    else:  # an engine failure (the customer got the apology) keeps its error on the question
        question.status = status or ("failed" if question.error else "answered")


def _commit_result(msg: Message, question: Message | None = None) -> None:
    """Record what the platform answered, and the question's status that follows from it, at
    once and in one transaction; and hold on to it through a short database outage
    (RESULT_WRITE_SECONDS): a reply that went out but was never recorded is settled as not
    confirmed and shown as failed, although the customer got it. Written only over the
    pending row this worker left, never over what a settling worker decided meanwhile. The
    same statements, built once, serve the first try and the retries (the objects are told
    their values are stored, so the session does not write them a second time)."""
    if msg.platform == "web":
        return  # the test chat's request commits it with the rest
    result = _stored(msg, _RESULT_COLUMNS)
    settled = None if question is None else (question.id, _stored(question, _QUESTION_COLUMNS))
    blocked = None
    if msg.status == "failed" and (blocked := msg.conversation.blocked_at) is not None:
        set_committed_value(msg.conversation, "blocked_at", blocked)

    def write() -> None:
        _write_result(msg.id, msg.conversation_id, result, blocked, settled)

    try:
        write()
        return
    except DBAPIError as exc:
        if not database_away(exc):
            raise
    log.warning("recording the send of message %s: the database is away; retrying", msg.id)
    cfg = current_app.config
    call_with_retries(
        write,
        attempts=cfg["RESULT_WRITE_ATTEMPTS"] - 1,
        retry_on=lambda out: isinstance(out, DBAPIError) and database_away(out),
        wait=backoff(0.5, 5.0),
    )


def _stored(row: Message, columns: tuple[str, ...]) -> dict:
    """The row's values of `columns`, marked as stored on the object (written by Core)."""
    values = {name: getattr(row, name) for name in columns}
    for name, value in values.items():
        set_committed_value(row, name, value)
    return values


def _write_result(msg_id: int, conv_id: int, result: dict, blocked, settled) -> None:
    try:
        c = db.session.connection()
        written = c.execute(_result_update(), _bound(result) | {"w_id": msg_id}).rowcount
        if written and settled is not None:
            question_id, values = settled
            c.execute(_question_update(), _bound(values) | {"w_id": question_id})
        if blocked is not None:
            c.execute(
                update(Conversation)
                .where(Conversation.id == conv_id)
                .values(blocked_at=blocked)
                .execution_options(synchronize_session=False)
            )
        db.session.commit()
    except DBAPIError:
        db.session.rollback()
        raise


def _bound(values: dict) -> dict:
    return {f"w_{name}": value for name, value in values.items()}


def _writing(status: str, columns: tuple[str, ...]):
    """UPDATE a message still in `status` with the bound values of `columns` (w_<name>)."""
    m = Message.__table__
    return (
        update(m)
        .where(m.c.id == bindparam("w_id", type_=Integer), m.c.status == status)
        .values({name: bindparam(f"w_{name}", type_=m.c[name].type) for name in columns})
    )


@cache
def _result_update():
    return _writing("pending", _RESULT_COLUMNS)


@cache
def _question_update():
    return _writing("processing", _QUESTION_COLUMNS)


def send_reply(
    conv: Conversation,
    text: str,
    *,
    reply_to: Message | None = None,
    status: str | None = None,
    engine: EngineReply | None = None,
    language_picker: bool = False,
    deferrable: bool = False,
) -> Message:
    """Store and send the bot's reply (with the engine's figures); failures are recorded, and
    the question it answers (`reply_to`) is marked with the result (`follow`). A deferrable
    reply the platform refuses for now is kept as "retrying" instead of failing."""
    msg = Message.new_outbound(conv, text, sender="bot", reply_to=reply_to)
    if engine is not None:
        msg.language, msg.provider, msg.model = engine.language, engine.provider, engine.model
        msg.tokens_in, msg.tokens_out, msg.latency_ms = (
            engine.tokens_in,
            engine.tokens_out,
            engine.latency_ms,
        )
        msg.chunks_json = engine.chunks_json()
        msg.dont_know = engine.dont_know
    db.session.flush()
    _commit_before_sending(msg)
    result = _deliver(conv, text, language_picker, durable=deferrable)
    with _result_written_once():
        if not (deferrable and _defer(msg, result)):
            _record(msg, result)
        if engine is not None:
            if engine.status == "failed":
                msg.error = engine.error  # the customer got the apology; the cause is kept
            if reply_to is not None:
                reply_to.language = engine.language
        if reply_to is not None:
            follow(reply_to, msg, status)
        _commit_result(msg, reply_to)
    return msg


def resend(msg: Message, question: Message, language_picker: bool = False) -> Message:
    """Try a reply the platform refused for now once more (its retry_at has come), and mark
    the question it answers with the result."""
    msg.status, msg.retry_at = "pending", None
    _commit_before_sending(msg)
    result = _deliver(
        msg.conversation, msg.text or "", language_picker, durable=True, parts_sent=msg.parts_sent
    )
    with _result_written_once():
        if not _defer(msg, result):
            _record(msg, result)
        follow(question, msg)
        _commit_result(msg, question)
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
    db.session.flush()
    _commit_before_sending(msg)
    result = _deliver(conv, text)
    with _result_written_once():
        _record(msg, result)
        _commit_result(msg)
    return msg


def _result_written_once():
    """Between the send and its recording nothing is flushed: an expired attribute read while
    recording (a page's session expires on commit) would otherwise write half the result
    through the ORM first, and _commit_result's statements, which write only over the pending
    row, would then find it no longer pending."""
    return db.session.no_autoflush
