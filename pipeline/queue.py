"""The shared, durable answer queue: the database rows themselves.

A conversation with unanswered inbound messages is `answer_pending`; the webhook that stores a
message bumps its `answer_gen` in the same transaction. A worker (any thread of any process of any
instance) claims a conversation with a lease, answers its messages oldest first, and releases it
only if no message arrived meanwhile (the generation it read is still current). Order within a
conversation therefore comes from the database: one lease holder at a time. A dead worker stops
renewing its leases; they expire and another worker takes the conversation over.

PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so concurrent claimers never wait for each
other; SQLite serialises writers, and the conditional UPDATE is enough.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from sqlalchemy import Integer, and_, bindparam, literal_column, or_, select, update

from extensions import db
from models.base import utcnow
from models.conversation import Conversation, Message
from models.inbound import LeaseLost as LeaseLost  # raised here and by a reply's note

# A worker renews its leases every LEASE_SECONDS / 3; a dead one's expire after LEASE_SECONDS.
LEASE_SECONDS = 30


def worker_id() -> str:
    """This process's name in leases: host, pid and a random part (pids are reused). Made once
    per process (every lease statement names it): a forked child makes its own."""
    global _WORKER_ID
    if _WORKER_ID is None:
        _WORKER_ID = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return _WORKER_ID


def _forget_worker_id() -> None:
    global _WORKER_ID
    _WORKER_ID = None


_WORKER_ID: str | None = None
os.register_at_fork(after_in_child=_forget_worker_id)


@dataclass(frozen=True)
class Claim:
    """A conversation this worker holds, and the generation it saw when it took it.
    `stranded`: questions were left in processing there (a dead worker's, a reply refused for
    now), for pipeline/settle.py to settle first; said by the claim itself."""

    conversation_id: int
    gen: int
    stranded: bool = True


def _claimable(c, now):
    return and_(c.answer_pending.is_(True), or_(c.lease_until.is_(None), c.lease_until < now))


@cache
def _claiming(dialect_name: str, one: bool):
    """claim's statement, built once (for any conversation, or for the bound one)."""
    c = Conversation.__table__
    now = bindparam("p_now", type_=c.c.lease_until.type)
    candidates = select(c.c.id).where(_claimable(c.c, now))
    if one:
        candidates = candidates.where(c.c.id == bindparam("p_conv"))
    candidates = candidates.order_by(c.c.pending_since.nulls_last(), c.c.id)
    candidates = candidates.limit(bindparam("p_limit", type_=Integer))
    if dialect_name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    return (
        update(c)
        .where(c.c.id.in_(candidates.scalar_subquery()), _claimable(c.c, now))
        .values(
            lease_owner=bindparam("p_owner"),
            lease_until=bindparam("p_until", type_=c.c.lease_until.type),
        )
        .returning(c.c.id, c.c.answer_gen, c.c.pending_since, _stranded(c))
    )


def _stranded(c):
    """Whether a claimed conversation has questions left in processing (RETURNING it costs
    the taker no query of its own: almost always there are none)."""
    m = Message.__table__
    # Named with its table: SQLite's RETURNING renders columns unqualified, and a bare "id"
    # inside the subquery would be the message's own.
    claimed = literal_column(f"{c.name}.id")
    left = select(m.c.id).where(
        m.c.conversation_id == claimed, m.c.direction == "in", m.c.status == "processing"
    )
    return left.exists().label("stranded")


def claim(limit: int, owner: str | None = None, conversation_id: int | None = None) -> list[Claim]:
    """Take up to `limit` conversations with unanswered messages, those waiting longest first
    (`pending_since`: a dead worker's, a refused reply's once its retry time has come, and new
    customers alike); commits. In id order, under a backlog, conversations that kept getting
    messages were served again and again while newer ones waited past the answering limit."""
    statement = _claiming(db.engine.dialect.name, conversation_id is not None)
    now = utcnow()
    rows = (
        db.session.connection()
        .execute(
            statement,
            {
                "p_now": now,
                "p_limit": limit,
                "p_conv": conversation_id,
                "p_owner": owner or worker_id(),
                "p_until": now + timedelta(seconds=LEASE_SECONDS),
            },
        )
        .all()
    )
    db.session.commit()
    # RETURNING comes in the order the rows were updated: put the longest wait first again.
    rows = sorted(rows, key=lambda r: (r.pending_since is None, r.pending_since or now, r.id))
    return [Claim(conv_id, gen, bool(stranded)) for conv_id, gen, _since, stranded in rows]


@cache
def start_held():
    """Mark a message (p_message) as being answered, if it still waits and this worker
    (p_owner) holds its conversation (p_conv): one statement, built once."""
    m = Message.__table__
    c = Conversation.__table__
    held = (
        select(c.c.id)
        .where(c.c.id == bindparam("p_conv"), c.c.lease_owner == bindparam("p_owner"))
        .exists()
    )
    return (
        update(m)
        .where(m.c.id == bindparam("p_message"), m.c.status == "received", held)
        .values(status="processing")
    )


@cache
def _renew_one():
    """Built once (every message renews a lease): Core on the session's connection, not an ORM
    bulk update rebuilt and compiled-cache-keyed for each call (half its CPU)."""
    c = Conversation.__table__
    return (
        update(c)
        .where(c.c.id == bindparam("p_id"), c.c.lease_owner == bindparam("p_owner"))
        .values(lease_until=bindparam("p_until", type_=c.c.lease_until.type))
    )


@cache
def _release_done():
    c = Conversation.__table__
    return (
        update(c)
        .where(
            c.c.id == bindparam("p_id"),
            c.c.lease_owner == bindparam("p_owner"),
            c.c.answer_gen == bindparam("p_gen"),
        )
        .values(answer_pending=False, lease_owner=None, lease_until=None, pending_since=None)
    )


def holds(conversation_id: int, owner: str | None = None) -> bool:
    """Renew the lease on one conversation; False when this worker no longer holds it (another
    worker took it over after the lease ran out). Part of the caller's transaction."""
    lease = lease_terms(owner)
    bound = {"p_id": conversation_id, "p_owner": lease["owner"], "p_until": lease["until"]}
    renewed = db.session.connection().execute(_renew_one(), bound)
    return bool(renewed.rowcount)


def lease_terms(owner: str | None = None) -> dict:
    """This worker's lease as it is renewed from now: by holds, and by a reply's own UPDATE
    of the conversation (models.inbound.note_reply checks and renews it)."""
    return {"owner": owner or worker_id(), "until": utcnow() + timedelta(seconds=LEASE_SECONDS)}


def renew(conversation_ids: list[int], owner: str | None = None) -> None:
    """The heartbeat: keep every lease this process holds; commits.

    On PostgreSQL a conversation whose row is locked just now (its own worker recording a
    reply, or the inbox storing a message for it) is skipped, not waited for: it is renewed at
    the next beat, with two thirds of its lease left, and a worker recording a reply renews its
    own. Waiting, the heartbeat locked dozens of rows one after another while the inbox locked
    a batch's worth in another order, and PostgreSQL broke the cycles as deadlocks, failing
    answers (issue 12: 9 in a 6,000-message run at 50 a second)."""
    if conversation_ids:
        mine = select(Conversation.id).where(
            Conversation.id.in_(conversation_ids),
            Conversation.lease_owner == (owner or worker_id()),
        )
        if db.engine.dialect.name == "postgresql":
            mine = mine.order_by(Conversation.id).with_for_update(skip_locked=True)
        db.session.execute(
            update(Conversation)
            .where(Conversation.id.in_(mine.scalar_subquery()))
            .values(lease_until=utcnow() + timedelta(seconds=LEASE_SECONDS))
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


def release(held: Claim, owner: str | None = None) -> int | None:
    """Give the conversation back. Returns None when it is done, or the new generation when a
    message arrived while we worked (we keep the lease and answer it too); commits."""
    owner = owner or worker_id()
    done = (
        db.session.connection()
        .execute(
            _release_done(), {"p_id": held.conversation_id, "p_owner": owner, "p_gen": held.gen}
        )
        .rowcount
    )
    if done:
        db.session.commit()
        return None
    gen = db.session.scalar(
        select(Conversation.answer_gen).where(
            Conversation.id == held.conversation_id, Conversation.lease_owner == owner
        )
    )
    db.session.commit()
    return gen


def give_up(held: Claim, owner: str | None = None) -> None:
    """Let the lease go without settling (this worker is stopping); another worker goes on."""
    db.session.execute(
        update(Conversation)
        .where(
            Conversation.id == held.conversation_id,
            Conversation.lease_owner == (owner or worker_id()),
        )
        .values(lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def defer(held: Claim, until, owner: str | None = None) -> None:
    """Let the conversation wait until `until` (a reply the platform refused for now): no one
    claims it before then, and whoever claims it after tries the reply again; commits."""
    db.session.execute(
        update(Conversation)
        .where(
            Conversation.id == held.conversation_id,
            Conversation.lease_owner == (owner or worker_id()),
        )
        .values(lease_owner=None, lease_until=until)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


class Deferred(Exception):
    """A reply was refused for now; the conversation waits until `retry_at`."""

    def __init__(self, retry_at) -> None:
        super().__init__(retry_at)
        self.retry_at = retry_at
