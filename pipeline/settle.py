"""What a worker finds when it takes a conversation over, and how a question's status follows
its reply.

- An answer a dead worker never recorded was never sent: the question is answered again.
- A reply recorded but unconfirmed may have gone out: settled as failed and shown, never resent.
- A reply the platform refused for now ("retrying") is tried again once its retry_at has come,
  which is when the conversation's lease ends (pipeline/queue.defer).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from extensions import db
from models.conversation import Message
from pipeline import queue
from pipeline.send import INTERRUPTED_SEND, resend

log = logging.getLogger(__name__)


def question_status(question: Message, reply: Message, status: str | None = None) -> None:
    """Mark the question by what really happened to its reply. A reply kept for a later try
    leaves the question in processing and makes the conversation wait (raises Deferred)."""
    if reply.status == "retrying":
        question.status = "processing"
        raise queue.Deferred(reply.retry_at)
    if reply.status == "failed":
        question.status = "failed"
        question.error = question.error or reply.error
        return
    # An engine failure (the customer got the apology) keeps its error on the question.
    question.status = status or ("failed" if question.error else "answered")


def take_over(conv_id: int) -> None:
    """Settle the questions left in processing in this conversation (see the module docstring);
    commits. Raises Deferred when a retried reply is refused again, LeaseLost when the
    conversation is no longer ours."""
    stranded = db.session.scalars(
        select(Message)
        .where(
            Message.conversation_id == conv_id,
            Message.direction == "in",
            Message.status == "processing",
        )
        .order_by(Message.id)
    ).all()
    for question in stranded:
        replies = db.session.scalars(
            select(Message).where(Message.reply_to_id == question.id).order_by(Message.id)
        ).all()
        if not replies:
            question.status = "received"
            continue
        retrying = [r for r in replies if r.status == "retrying"]
        if retrying:
            if not queue.holds(conv_id):
                raise queue.LeaseLost(conv_id)
            for reply in retrying:
                question_status(question, resend(reply, language_picker=question.kind == "start"))
            continue
        for reply in replies:
            if reply.status == "pending":
                reply.status, reply.error = "failed", INTERRUPTED_SEND
        sent = any(r.status not in ("pending", "failed") for r in replies)
        question.status = "answered" if sent else "failed"
        if not sent:
            question.error = INTERRUPTED_SEND
        log.warning("conversation %s: settled interrupted message %s", conv_id, question.id)
    if stranded:
        db.session.commit()
