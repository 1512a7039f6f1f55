"""What a worker finds when it takes a conversation over (a question's status follows its reply:
pipeline/recording.follow).

- An answer a dead worker never recorded was never sent: the question is answered again.
- A reply recorded but unconfirmed may have gone out: settled as failed and shown, never resent.
- A reply the platform refused for now ("retrying") is tried again once its retry_at has come,
  which is when the conversation's lease ends (pipeline/queue.defer).
"""

from __future__ import annotations

import logging
from functools import cache

from sqlalchemy import Integer, bindparam, select

from extensions import db
from models.conversation import Message
from pipeline import queue
from pipeline.send import INTERRUPTED_SEND, resend

log = logging.getLogger(__name__)


def wait_if_retrying(reply: Message) -> None:
    """A reply the platform refused for now makes its conversation wait until its retry_at
    (raises Deferred; the question stays in processing with it)."""
    if reply.status == "retrying":
        raise queue.Deferred(reply.retry_at)


def take_over(conv_id: int) -> None:
    """Settle the questions left in processing in this conversation (see the module docstring);
    commits. Raises Deferred when a retried reply is refused again, LeaseLost when the
    conversation is no longer ours."""
    # Almost always none: asked as plain ids first (the ORM's query of an empty result cost
    # about a twentieth of an answering process's CPU), the rows loaded only when there are.
    ids = db.session.connection().execute(_stranded(), {"conv_id": conv_id}).scalars().all()
    if not ids:
        return
    stranded = db.session.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.id))
    for question in stranded.all():
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
                wait_if_retrying(resend(reply, question, language_picker=question.kind == "start"))
            continue
        for reply in replies:
            if reply.status == "pending":
                reply.status, reply.error = "failed", INTERRUPTED_SEND
        sent = any(r.status not in ("pending", "failed") for r in replies)
        question.status = "answered" if sent else "failed"
        if not sent:
            question.error = INTERRUPTED_SEND
        log.warning("conversation %s: settled interrupted message %s", conv_id, question.id)
    db.session.commit()


@cache
def _stranded():
    """The ids of a conversation's questions left in processing (built once: every claim asks)."""
    m = Message.__table__
    return (
        select(m.c.id)
        .where(
            m.c.conversation_id == bindparam("conv_id", type_=Integer),
            m.c.direction == "in",
            m.c.status == "processing",
        )
        .order_by(m.c.id)
    )
