"""Every sweep of what a restart or crash left behind, in one place (the scheduler's recovery job
and `flask messages requeue-stale` run `recover`)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import func, or_, select, update

from extensions import db
from models.base import utcnow
from models.conversation import Conversation, Message
from pipeline import inbox
from pipeline.dispatch import notify
from pipeline.send import INTERRUPTED_SEND

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=3)
REQUEUE_BATCH = 500


def requeue_stale(now=None) -> dict:
    """Conversations with unanswered messages that no live worker holds (never claimed, or their
    worker died and its lease ran out). In-process dispatchers claim them by themselves; with RQ
    they get a job each. A message left waiting in a conversation not marked as waiting (written
    by a version before the answer queue) is marked, so it is answered too."""
    now = now or utcnow()
    orphans = (
        select(Message.conversation_id)
        .where(
            Message.direction == "in",
            Message.status == "received",
            Message.created_at < now - STALE_AFTER,
        )
        .scalar_subquery()
    )
    remarked = db.session.execute(
        update(Conversation)
        .where(Conversation.id.in_(orphans), Conversation.answer_pending.is_(False))
        .values(
            answer_pending=True,
            answer_gen=Conversation.answer_gen + 1,
            pending_since=func.coalesce(Conversation.pending_since, now),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    ids = db.session.scalars(
        select(Conversation.id)
        .where(
            Conversation.answer_pending.is_(True),
            or_(Conversation.lease_until.is_(None), Conversation.lease_until < now),
        )
        .order_by(Conversation.id)
        .limit(REQUEUE_BATCH)
    ).all()
    db.session.commit()
    notify(ids)
    if ids:
        log.warning("%s conversations wait for an answer with no worker on them", len(ids))
    return {"requeued": len(ids), "remarked": remarked}


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


def recover() -> dict:
    """Every sweep: webhook deliveries nobody stored (no answering process ran), unanswered
    messages, interrupted sends, uploads stuck in processing, and customer broadcasts whose job
    was lost."""
    from kb.service import recover_interrupted_uploads
    from outreach.broadcast import resume_unfinished

    stored = inbox.ingest()
    notify(stored.waiting)
    return {
        "deliveries_stored": stored.deliveries,
        **requeue_stale(),
        "sends_failed": fail_interrupted_sends(),
        "uploads_failed": recover_interrupted_uploads(),
        "broadcasts_resumed": resume_unfinished(),
    }
