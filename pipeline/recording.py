"""Recording what the platform answered to a send, and what that makes of the question the
reply answers: one transaction, two statements built once, the same on the first try and on
the retries through a short database outage (pipeline/send.py sends; this records)."""

from __future__ import annotations

import logging
from functools import cache

from flask import current_app
from sqlalchemy import Integer, bindparam, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.attributes import set_committed_value

from core.retry import backoff, call_with_retries
from extensions import db
from models.base import database_away
from models.conversation import Conversation, Message
from models.inbound import bound_values

log = logging.getLogger(__name__)

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


def commit_result(msg: Message, question: Message | None = None) -> None:
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
        written = c.execute(_result_update(), bound_values(result) | {"w_id": msg_id}).rowcount
        if written and settled is not None:
            question_id, values = settled
            c.execute(_question_update(), bound_values(values) | {"w_id": question_id})
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


def _writing(status: str, columns: tuple[str, ...]):
    """UPDATE a message (w_id) still in `status` with the bound values of `columns`
    (models.inbound.bound_values)."""
    m = Message.__table__
    return (
        update(m)
        .where(m.c.id == bindparam("w_id", type_=Integer), m.c.status == status)
        .values({name: bindparam(f"p_{name}", type_=m.c[name].type) for name in columns})
    )


@cache
def _result_update():
    return _writing("pending", _RESULT_COLUMNS)


@cache
def _question_update():
    return _writing("processing", _QUESTION_COLUMNS)


def written_once():
    """Between the send and its recording nothing is flushed: an expired attribute read while
    recording (a page's session expires on commit) would otherwise write half the result
    through the ORM first, and commit_result's statements, which write only over the pending
    row, would then find it no longer pending."""
    return db.session.no_autoflush
