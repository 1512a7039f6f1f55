"""Every sweep of what a restart or crash left behind, in one place (the scheduler's recovery job
and `flask messages requeue-stale` run `recover`)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update

from core.tasks import enqueue
from extensions import db
from models.base import utcnow
from models.conversation import Message
from pipeline.worker import process_inbound

log = logging.getLogger(__name__)

# Stored on the message for the admin's and owner's conversation views (platform errors are
# stored as the platform wrote them, so this one is too: in English).
INTERRUPTED_SEND = "interrupted before the platform confirmed the send (not retried)"

STALE_AFTER = timedelta(minutes=3)
REQUEUE_BATCH = 500


def requeue_stale(now=None) -> dict:
    """Answer what a restart or crash left behind: messages queued but never run (the in-process
    pool loses its queue on restart) and messages claimed but never finished. The claim in
    process_inbound makes a second enqueue of a message harmless."""
    now = now or utcnow()
    cutoff = now - STALE_AFTER
    inbound_since = Message.direction == "in", Message.created_at < cutoff
    released = db.session.execute(
        update(Message)
        .where(*inbound_since, Message.status == "processing")
        .values(status="received")
    ).rowcount
    ids = db.session.scalars(
        select(Message.id)
        .where(*inbound_since, Message.status == "received")
        .order_by(Message.id)
        .limit(REQUEUE_BATCH)
    ).all()
    db.session.commit()
    for message_id in ids:
        enqueue(process_inbound, message_id)
    if ids:
        log.warning(
            "requeued %s unanswered messages (%s were stuck in processing)", len(ids), released
        )
    return {"requeued": len(ids), "released": released}


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
    """Every sweep: unanswered messages, interrupted sends, uploads stuck in processing, and
    customer broadcasts whose job was lost."""
    from kb.service import recover_interrupted_uploads
    from outreach.broadcast import resume_unfinished

    return {
        **requeue_stale(),
        "sends_failed": fail_interrupted_sends(),
        "uploads_failed": recover_interrupted_uploads(),
        "broadcasts_resumed": resume_unfinished(),
    }
