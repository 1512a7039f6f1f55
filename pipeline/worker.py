"""Answering stored inbound messages: claim one, keep each conversation's order, decide what to
do with it (serve? language button? media? paused?), and have the engine answer and send.

`process_inbound(message_id)` is the background task every webhook enqueues.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from core.tasks import task
from extensions import db
from models.ai_config import AIConfig
from models.base import utcnow
from models.conversation import Conversation, Message
from models.user import User
from pipeline import replies
from pipeline.engine import answer
from pipeline.language import remember_language, reply_language
from pipeline.send import send_reply

log = logging.getLogger(__name__)

_CONV_LOCKS: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)


@task
def process_inbound(message_id: int, callback_id: str | None = None) -> None:
    """Decide whether and how to answer one stored inbound message, then answer and send."""
    conv_id = db.session.scalar(select(Message.conversation_id).where(Message.id == message_id))
    if conv_id is None:
        return
    with _CONV_LOCKS[conv_id]:  # one conversation at a time in this process
        # Earlier messages of the conversation still waiting go first, so replies keep their
        # order even when their own tasks run later or in another worker.
        waiting = db.session.scalars(
            select(Message.id)
            .where(
                Message.conversation_id == conv_id,
                Message.direction == "in",
                Message.id <= message_id,
                Message.status == "received",
            )
            .order_by(Message.id)
        ).all()
        for msg_id in waiting:
            _wait_for_other_workers(conv_id, msg_id)
            if _claim(msg_id):
                _handle(db.session.get(Message, msg_id))
    if callback_id:
        _answer_callback(message_id, callback_id)


def _claim(message_id: int) -> bool:
    """Take the message with a conditional UPDATE: a concurrent or repeated task gets False."""
    claimed = db.session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == "received")
        .values(status="processing")
    ).rowcount
    db.session.commit()
    return bool(claimed)


def _wait_for_other_workers(conv_id: int, message_id: int, limit: float | None = None) -> None:
    """Let another worker finish an earlier message of this conversation (bounded wait)."""
    deadline = time.monotonic() + (limit or current_app.config["AI_TIMEOUT_SECONDS"] * 2 + 10)
    while time.monotonic() < deadline:
        busy = db.session.scalar(
            select(Message.id)
            .where(
                Message.conversation_id == conv_id,
                Message.direction == "in",
                Message.id < message_id,
                Message.status == "processing",
            )
            .limit(1)
        )
        db.session.rollback()  # end the read so the next poll sees other workers' commits
        if busy is None:
            return
        time.sleep(0.2)


def _handle(msg: Message) -> None:
    """Decide what one claimed message gets, do it, and commit."""
    conv = msg.conversation
    owner = db.session.get(User, conv.user_id)
    cfg = AIConfig.for_user(conv.user_id)
    max_age = timedelta(seconds=current_app.config["INBOUND_MAX_AGE_SECONDS"])
    if owner is None or not owner.can_be_served:
        msg.status = "not_served"
    elif msg.sent_at is not None and utcnow() - msg.sent_at > max_age:
        msg.status = "too_old"
    elif msg.kind == "callback":
        _set_language(conv, msg, cfg)
    elif msg.kind == "start":
        msg.status = "answered"
        send_reply(
            conv,
            replies.greeting(conv.language or cfg.default_language, cfg.bot_name),
            reply_to=msg,
            language_picker=True,
        )
    elif conv.is_paused():
        msg.status = "paused"
    elif msg.kind == "media":
        language, script = reply_language(conv, None, cfg.default_language)
        msg.status = "answered"
        send_reply(conv, replies.text_only(language, script), reply_to=msg)
    else:
        _answer_and_send(conv, msg)
    db.session.commit()


def _answer_callback(message_id: int, callback_id: str) -> None:
    """Stop the Telegram button's spinner (needed whatever we did with the press)."""
    from channels.telegram import TelegramClient, TelegramError
    from models.messaging import TelegramBot

    user_id = db.session.scalar(select(Message.user_id).where(Message.id == message_id))
    bot = db.session.scalar(select(TelegramBot).where(TelegramBot.user_id == user_id))
    if bot is None:
        return
    try:
        TelegramClient.from_config(current_app.config, bot.token).answer_callback_query(callback_id)
    except TelegramError as exc:  # e.g. "query is too old": nothing more to do
        log.info("answerCallbackQuery failed: %s", exc)


def _set_language(conv: Conversation, msg: Message, cfg: AIConfig) -> None:
    language = (msg.text or "").removeprefix("lang:")
    if language in ("uz", "ru", "en"):
        conv.language, conv.language_chosen = language, True
        conv.script = "cyrl" if language == "ru" else "latn"
        msg.status = "answered"
        send_reply(conv, replies.language_set(language), reply_to=msg)
    else:
        msg.status = "ignored"


def _answer_and_send(conv: Conversation, msg: Message) -> Message:
    """Answer one text message, record language, status and error on it, send the reply."""
    started = time.monotonic()
    reply = answer(conv, msg.text or "")
    remember_language(conv, msg.text, reply.language)
    msg.language = reply.language
    msg.status = "answered" if reply.status == "answered" else "failed"
    msg.error = reply.error
    out = send_reply(conv, reply.text, reply_to=msg, engine=reply)
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
