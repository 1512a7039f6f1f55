"""Answering stored inbound messages: claim a conversation from the answer queue, take its
messages oldest first, decide what each gets (serve? language button? media? paused?), have the
engine answer, and send while this worker still holds the conversation.

`answer_conversation` is the task (RQ, or inline in tests); pipeline/dispatch.py runs `work` on
its threads for the conversations it claims.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from channels.telegram import parse_language_callback
from core.tasks import task
from extensions import db
from models.ai_config import AIConfig, kept_reads
from models.base import database_away, utcnow
from models.conversation import Conversation, Message
from models.owner_alerts import note_gap
from models.owner_answer import KnowledgeGap
from pipeline import media, queue, replies, settle, throttle
from pipeline.engine import answer
from pipeline.language import remember_language, reply_language
from pipeline.send import send_reply
from pipeline.waiting import Known, Waiting, next_waiting

log = logging.getLogger(__name__)


@task
def answer_conversation(conversation_id: int | None = None) -> int:
    """Claim a conversation with unanswered messages (this one, or any) and answer them all, in
    order; returns how many conversations this call worked. A conversation another worker holds
    is left to it: that worker sees the new message before it lets go."""
    claims = queue.claim(1, conversation_id=conversation_id)
    for held in claims:
        work(held)
    return len(claims)


def work(held: queue.Claim) -> None:
    """Answer every waiting message of a claimed conversation, oldest first, then release it."""
    # Rows stay loaded across this worker's commits (each message reloads them once, in
    # _work): reloading every object after every commit was most of the answering queries.
    # The settings and the day's answer count are read through a short process cache.
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        with kept_reads():
            _work(held)
    except queue.LeaseLost:
        db.session.rollback()
        log.warning("conversation %s was taken over by another worker", held.conversation_id)
    except queue.Deferred as wait:
        db.session.commit()  # the reply kept for later, its question still in processing
        queue.defer(held, wait.retry_at)
    finally:
        session.expire_on_commit = expire_on_commit
        session.expire_all()


def _work(held: queue.Claim) -> None:
    conv_id = held.conversation_id
    while True:
        if held.stranded:  # (held since: nothing of this worker's is left in processing)
            settle.take_over(conv_id)
        more = True
        while more and (waiting := next_waiting(conv_id)) is not None:
            msg, more = waiting.message, waiting.more
            msg_id = msg.id
            started = _start(msg, conv_id)
            if started is None:
                continue  # settled meanwhile by someone else: the next one
            if not started:
                return  # the lease went to another worker: it answers the rest
            try:
                _handle(waiting)
            except (queue.LeaseLost, queue.Deferred):
                raise
            except Exception as exc:
                if database_away(exc):
                    # Not the message's fault: the conversation is given up and claimed again
                    # once the database answers; take_over then answers what was not recorded.
                    raise
                _failed(msg_id, exc)  # one bad message never holds up the conversation
        gen = queue.release(held)
        if gen is None:
            return
        held = queue.Claim(conv_id, gen, stranded=False)  # a message arrived while we worked


def _failed(message_id: int, exc: Exception) -> None:
    """Record an unexpected error on the message (shown to owner and admin) and go on. If the
    database itself is away this raises too, and the conversation is retried later."""
    log.exception("answering message %s failed", message_id)
    db.session.rollback()
    db.session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status.in_(("received", "processing")))
        .values(status="failed", error=f"{type(exc).__name__}: {exc}"[:1000])
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _start(msg: Message, conv_id: int) -> bool | None:
    """Mark the message as being answered, if this worker still holds the conversation (one
    statement: the lease is renewed by the heartbeat and before each reply is recorded). False
    when the lease went to another worker, None when the message is no longer waiting. The
    mark is committed with the first write that matters (before the AI call, or with the reply
    recorded before it is sent): a crash before then leaves it waiting, and it is answered."""
    mark = {"p_message": msg.id, "p_conv": conv_id, "p_owner": queue.worker_id()}
    started = db.session.connection().execute(queue.start_held(), mark).rowcount
    if not started:
        db.session.rollback()
        return None if queue.holds(conv_id) else False
    set_committed_value(msg, "status", "processing")
    return True


# Stored on the message, like the platforms' own errors, for the owner's and admin's views.
TOO_OLD = "older than the answering limit when its turn came (not answered)"


def _send(conv: Conversation, text: str, *, reply_to: Message, status: str | None = None, **kw):
    """Send a reply only while this worker holds the conversation (checked and renewed by the
    statement that records the reply before it goes out: LeaseLost), and mark the question
    by what happened."""
    held = conv.platform != "web"
    lease = queue.lease_terms() if held else None
    out = send_reply(
        conv, text, reply_to=reply_to, status=status, deferrable=held, lease=lease, **kw
    )
    settle.wait_if_retrying(out)
    return out


def _handle(waiting: Waiting) -> None:
    """Decide what one claimed message gets, do it, and commit."""
    msg, owner, cfg, known = waiting.message, waiting.owner, waiting.cfg, waiting.known
    conv = msg.conversation
    cfg = cfg or AIConfig.for_user(conv.user_id)
    max_age = timedelta(seconds=current_app.config["INBOUND_MAX_AGE_SECONDS"])
    if owner is None or not owner.can_be_served:
        msg.status = "not_served"
    elif msg.sent_at is not None and utcnow() - msg.sent_at > max_age:
        msg.status = "too_old"
        msg.error = TOO_OLD
    elif msg.kind == "callback":
        _set_language(conv, msg, cfg)
    elif msg.kind == "start":
        _send(
            conv,
            replies.greeting(conv.language or cfg.default_language, cfg.bot_name),
            reply_to=msg,
            language_picker=True,
        )
    elif conv.is_paused():
        msg.status = "paused"
    elif msg.kind == "media" and not media.readable(msg, cfg):
        language, script = reply_language(conv, None, cfg.default_language)
        _send(conv, replies.text_only(language, script), reply_to=msg)
    elif (limited := throttle.over_limit(conv, waiting.ai_replies)) is not None:
        _rate_limited(conv, msg, cfg, *limited)
    elif msg.kind == "media":
        _answer_media(conv, msg, cfg, known)
    else:
        _answer_and_send(conv, msg, cfg, known=known)
    db.session.commit()
    if msg.kind == "callback" and msg.callback_id:
        _answer_callback(msg.id, msg.callback_id)  # whatever we did with the press


def _rate_limited(conv: Conversation, msg: Message, cfg: AIConfig, reason: str, window) -> None:
    """Over a limit: no AI call; the customer is asked to wait once per window, the reason is
    kept on the message for the owner and the admin."""
    msg.error = reason
    if throttle.notice_due(conv, window):
        language, script = reply_language(conv, msg.text, cfg.default_language)
        _send(conv, throttle.please_wait(language, script), reply_to=msg, status="rate_limited")
    else:
        msg.status = "rate_limited"


def _answer_callback(message_id: int, callback_id: str) -> None:
    """Stop the Telegram button's spinner (needed whatever we did with the press)."""
    from channels.telegram_client import TelegramClient, TelegramError
    from models.channel import TelegramBot

    user_id = db.session.scalar(select(Message.user_id).where(Message.id == message_id))
    bot = db.session.scalar(select(TelegramBot).where(TelegramBot.user_id == user_id))
    if bot is None:
        return
    try:
        TelegramClient.from_config(current_app.config, bot.token).answer_callback_query(callback_id)
    except TelegramError as exc:  # e.g. "query is too old": nothing more to do
        log.info("answerCallbackQuery failed: %s", exc)


def _set_language(conv: Conversation, msg: Message, cfg: AIConfig) -> None:
    language = parse_language_callback(msg.text)
    if language in ("uz", "ru", "en"):
        conv.language, conv.language_chosen = language, True
        conv.script = "cyrl" if language == "ru" else "latn"
        _send(conv, replies.language_set(language), reply_to=msg)
    else:
        msg.status = "ignored"


def _answer_media(conv: Conversation, msg: Message, cfg: AIConfig, known: Known) -> None:
    """A voice note or photo: its transcript or description is the question, answered like a
    typed one; or the reply pipeline/media.py chose (too long, unreadable)."""
    heard = media.read(conv, msg, cfg)
    if heard.text is not None:
        _answer_and_send(conv, msg, cfg, question=heard.text, known=known)
        return
    msg.error = heard.error
    if heard.status == "failed":
        conv.failed_count = (conv.failed_count or 0) + 1
    language, script = reply_language(conv, None, cfg.default_language)
    _send(conv, heard.reply(language, script), reply_to=msg, status=heard.status)


def _answer_and_send(
    conv: Conversation,
    msg: Message,
    cfg: AIConfig | None = None,
    question: str | None = None,
    known: Known | None = None,
) -> Message:
    """Answer one question (the message's text, or what its media said), record language,
    status and error on it, send the reply."""
    started = time.monotonic()
    question = (msg.text or "") if question is None else question
    reply = answer(conv, question, cfg, known)
    if reply.gap:
        note_gap(conv, KnowledgeGap.record(conv.user_id, reply.gap, conv.platform))
    remember_language(conv, question, reply.language)
    msg.error = reply.error
    status = "answered" if reply.status == "answered" else "failed"
    # The question's status and language are written with the reply's result (send_reply).
    out = _send(conv, reply.text, reply_to=msg, engine=reply, status=status)
    if reply.status == "failed":
        conv.failed_count = (conv.failed_count or 0) + 1
    log.info(
        "answered message %s in %.0f ms (%s, status %s)",
        msg.id,
        (time.monotonic() - started) * 1000,
        reply.provider,
        out.status,
    )
    return out


def answer_web(conv: Conversation, text: str) -> Message:
    """The test chat: store the question and answer it now (the owner is waiting)."""
    msg = Message.store_inbound(conv, external_id=None, text=text)
    return _answer_and_send(conv, msg)
