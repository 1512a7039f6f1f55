"""The admin's message to every customer of one owner on one platform, sent in the background
within the platforms' rate limits and Meta's 24-hour window (e-mails to owners: admin_emails).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import Integer, func, insert, literal, or_, select, update

from core.tasks import enqueue, task
from extensions import db
from models.admin_log import AdminLog
from models.base import utcnow
from models.broadcast import Broadcast, BroadcastRecipient
from models.conversation import Conversation
from pipeline import send as outbound

log = logging.getLogger(__name__)

# Messages per second to different chats of one bot/number. Telegram allows about 30 per bot
# (and 1 per chat); Meta's limits are per business number or account and also well above this.
SEND_RATES = {"telegram": 25.0, "whatsapp": 20.0, "instagram": 10.0, "web-widget": 50.0}
RECIPIENTS_KEPT = 500  # per-recipient results stored in the admin log (the counts cover all)


# --- messages to every customer of one owner -------------------------------------------------
# One job sends at most a batch (by count and by time, so it ends well inside RQ's job timeout)
# and enqueues the next one. Every recipient is claimed with a conditional UPDATE before its
# message goes out, so a retried, re-enqueued or concurrent run never sends twice and a later
# run carries on where an earlier one stopped.
BATCH_SIZE = 100
BATCH_SECONDS = 60.0
# A claim this old belongs to a run that died between claiming and recording: whether the
# customer got the message is unknown, and it is not sent again.
STALE_CLAIM = timedelta(minutes=15)
SENDING = "sending"


def start_customer_broadcast(admin_id: int | None, user_id: int, platform: str, text: str):
    """Record a message to every current customer of the owner on one platform (caller commits)."""
    run = Broadcast(admin_id=admin_id, user_id=user_id, platform=platform, text=text)
    db.session.add(run)
    db.session.flush()
    customers = (
        select(literal(run.id, Integer), Conversation.id)
        .where(Conversation.user_id == user_id, Conversation.platform == platform)
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
    )
    db.session.execute(
        insert(BroadcastRecipient).from_select(["broadcast_id", "conversation_id"], customers)
    )
    return run


def _send_one(conv: Conversation, text: str) -> tuple[str, str | None]:
    if conv.blocked_at is not None:
        return "blocked", None
    if not conv.window_open():
        return "outside_window", None
    try:
        msg = outbound.send_to_conversation(conv, text, sender="admin")
    except outbound.OutsideWindow:
        return "outside_window", None
    except Exception as exc:  # one bad conversation must not stop the rest of the run
        log.exception("admin message to conversation %s failed", conv.id)
        db.session.rollback()
        return "failed", type(exc).__name__
    if msg.status == "failed":
        return "failed", (msg.error or "")[:200]
    return "sent", None


def _claim_next(broadcast_id: int) -> BroadcastRecipient | None:
    """Take the next waiting recipient for this run (committed before anything is sent)."""
    while True:
        candidate = db.session.scalar(
            select(BroadcastRecipient.id)
            .where(
                BroadcastRecipient.broadcast_id == broadcast_id,
                BroadcastRecipient.result.is_(None),
            )
            .order_by(BroadcastRecipient.id)
            .limit(1)
        )
        if candidate is None:
            return None
        taken = db.session.execute(
            update(BroadcastRecipient)
            .where(BroadcastRecipient.id == candidate, BroadcastRecipient.result.is_(None))
            .values(result=SENDING, claimed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if taken.rowcount == 1:
            return db.session.get(BroadcastRecipient, candidate)


def _unsettled(broadcast_id: int) -> tuple[bool, bool]:
    """(recipients still waiting, recipients claimed by a run that is still sending)."""
    db.session.execute(  # claims left by a run that died are settled as 'interrupted'
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.result == SENDING,
            BroadcastRecipient.claimed_at < utcnow() - STALE_CLAIM,
        )
        .values(result="interrupted")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    counts = _result_counts(broadcast_id)
    return bool(counts.get(None)), bool(counts.get(SENDING))


def _result_counts(broadcast_id: int) -> dict[str | None, int]:
    return dict(
        db.session.execute(
            select(BroadcastRecipient.result, func.count())
            .where(BroadcastRecipient.broadcast_id == broadcast_id)
            .group_by(BroadcastRecipient.result)
        ).all()
    )


def _finish(run: Broadcast) -> dict | None:
    """Write the summary once: only the run that marks the broadcast finished does it."""
    now = utcnow()
    won = db.session.execute(
        update(Broadcast)
        .where(Broadcast.id == run.id, Broadcast.finished_at.is_(None))
        .values(finished_at=now)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:
        db.session.rollback()
        return None
    counts = _result_counts(run.id)
    recipients = [
        {"conversation": conv_id, "customer": name or ref, "result": result, "error": error}
        for conv_id, name, ref, result, error in db.session.execute(
            select(
                Conversation.id,
                Conversation.customer_name,
                Conversation.customer_ref,
                BroadcastRecipient.result,
                BroadcastRecipient.error,
            )
            .join(Conversation, Conversation.id == BroadcastRecipient.conversation_id)
            .where(BroadcastRecipient.broadcast_id == run.id)
            .order_by(BroadcastRecipient.id)
            .limit(RECIPIENTS_KEPT)
        )
    ]
    summary = {
        "broadcast_id": run.id,
        "platform": run.platform,
        "total": sum(counts.values()),
        "sent": counts.get("sent", 0),
        "failed": counts.get("failed", 0),
        "outside_window": counts.get("outside_window", 0),
        "blocked": counts.get("blocked", 0),
    }
    if counts.get("interrupted"):
        summary["interrupted"] = counts["interrupted"]
    summary["finished_at"] = now.isoformat()
    AdminLog.record(
        run.admin_id, "message_all_customers_result", run.user_id, **summary, recipients=recipients
    )
    db.session.commit()
    log.info("admin message to customers of %s on %s: %s", run.user_id, run.platform, counts)
    return summary


@task
def message_all_customers(
    broadcast_id: int, sleep: Callable[[float], None] = time.sleep, lease: str | None = None
):
    """Send one batch of a broadcast to the owner's customers, then enqueue the next batch.

    Conversations outside Meta's 24-hour window (or whose customer blocked the bot) are skipped.
    A pause after each send keeps within the platform's per-bot rate. When nothing is left the
    per-recipient results are written to the admin log about this owner; returns that summary.
    A job runs only while it holds the broadcast's lease (`lease` is the token its chain took).
    """
    run = db.session.get(Broadcast, broadcast_id)
    if run is None or run.finished_at is not None:
        return None
    lease = _take_lease(broadcast_id, lease)
    if lease is None:  # another chain is sending this broadcast
        return None
    config = current_app.config
    interval = 1.0 / (config.get("BROADCAST_RATES") or SEND_RATES).get(run.platform, 1.0)
    batch = config.get("BROADCAST_BATCH_SIZE") or BATCH_SIZE
    deadline = time.monotonic() + (config.get("BROADCAST_BATCH_SECONDS") or BATCH_SECONDS)
    done = 0
    while done < batch and (done == 0 or time.monotonic() < deadline):
        recipient = _claim_next(broadcast_id)
        if recipient is None:
            break
        result, error = _send_one(db.session.get(Conversation, recipient.conversation_id), run.text)
        recipient.result, recipient.error = result, error
        db.session.commit()  # the message and its result are recorded together
        done += 1
        if result in ("sent", "failed"):
            sleep(interval)
    waiting, sending = _unsettled(broadcast_id)
    if waiting:
        enqueue(message_all_customers, broadcast_id, lease=lease)  # the chain keeps its lease
        return None
    _release_lease(broadcast_id, lease)
    if sending:  # another run is sending the last ones and will write the summary
        return None
    return _finish(run)


def _take_lease(broadcast_id: int, token: str | None) -> str | None:
    """Take the broadcast's lease (free, expired, or already this chain's) and renew it."""
    now = utcnow()
    held = _lease_free(now)
    if token is not None:
        held = or_(held, Broadcast.lease_token == token)
    new_token = token or secrets.token_hex(8)
    taken = db.session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.finished_at.is_(None), held)
        .values(lease_token=new_token, lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return new_token if taken == 1 else None


def _lease_free(now):
    """No chain holds the lease: never taken, released, or not renewed in time."""
    return or_(Broadcast.lease_until.is_(None), Broadcast.lease_until < now)


def _release_lease(broadcast_id: int, token: str) -> None:
    db.session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.lease_token == token)
        .values(lease_token=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


# A job sends for at most BATCH_SECONDS; a lease not renewed for this long lost its chain (a
# restart emptied the in-process queue, or a worker died), and the recovery job starts a new one.
LEASE = timedelta(minutes=5)
# A broadcast this old that no job has ever taken lost its first job.
IDLE_BEFORE_RESUME = timedelta(minutes=5)


def resume_unfinished(now=None) -> int:
    """Enqueue every unfinished broadcast whose chain of jobs is gone; returns how many.

    Several workers may run this at once: each resumed job must still take the lease, so only
    one chain ever sends a broadcast."""
    now = now or utcnow()
    idle = db.session.scalars(
        select(Broadcast.id).where(
            Broadcast.finished_at.is_(None),
            Broadcast.created_at < now - IDLE_BEFORE_RESUME,
            _lease_free(now),
        )
    ).all()
    db.session.commit()  # end the read before the runs (eager in tests) start their own work
    for broadcast_id in idle:
        enqueue(message_all_customers, broadcast_id)
    if idle:
        log.warning("resumed %s idle customer broadcasts", len(idle))
    return len(idle)
