"""When the owner's alerts go out: right after the commit that noted them (a session hook hands
their ids to a background task), and from the scheduler's jobs (scheduler.py, `flask alerts …`):
the daily summary at the owner's time, plan expiry, the Telegram webhook's health, and a sweep of
alerts a lost hand-off left pending. Every job is safe to run on several workers at once: each
event's key is recorded once, and each row is claimed before it is sent.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from channels import CHANNELS
from channels.telegram_client import TelegramClient, TelegramError
from core.crypto import SecretError
from core.tasks import enqueue, task
from extensions import db
from models.base import utcnow
from models.channel import channels_for
from models.conversation import Message
from models.owner_alerts import PENDING, TASHKENT, AlertSettings, OwnerAlert, note_channel
from models.owner_answer import KnowledgeGap
from models.user import User
from outreach.owner_chat import deliver_reply
from outreach.telegram_alerts import claim, send_alert

log = logging.getLogger(__name__)

PLAN_AHEAD = timedelta(days=3)
EXPIRED_WITHIN = timedelta(days=3)  # an owner linking long after expiry is not told again
SUMMARY_WINDOW = timedelta(hours=2)  # a summary missed by more than this waits for tomorrow
SWEEP_AFTER = timedelta(minutes=2)
WEBHOOK_ERROR_RECENT = timedelta(hours=1)
TOP_GAPS = 3


# --- right after the commit ------------------------------------------------------------------
@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    ids = session.info.pop(PENDING, None)
    if not ids or not has_app_context():
        return
    try:
        enqueue(deliver, list(ids))
    except Exception:  # the sweep sends them; the caller's commit must not fail for this
        log.exception("could not hand %s owner alerts to the background", len(ids))


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


@task
def deliver(alert_ids: list[int]) -> Counter:
    """Send these alerts and notices, and deliver these owner replies (each claimed first)."""
    stats: Counter = Counter()
    for alert_id in alert_ids:
        alert = claim(alert_id)
        if alert is None:
            stats["skipped"] += 1
            continue
        try:
            (deliver_reply if alert.kind == "inbox" else send_alert)(alert)
        except Exception as exc:
            log.exception("owner alert %s failed", alert_id)
            db.session.rollback()
            alert = db.session.get(OwnerAlert, alert_id)
            if alert is not None:  # None: the owner, and their alerts, were deleted meanwhile
                alert.status, alert.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
                db.session.commit()
        stored = db.session.get(OwnerAlert, alert_id)
        stats["gone" if stored is None else stored.status] += 1
    return stats


def _linked(setting: str) -> list[AlertSettings]:
    column = getattr(AlertSettings, setting)
    return list(
        db.session.scalars(
            select(AlertSettings).where(AlertSettings.chat_id.is_not(None), column.is_(True))
        )
    )


def _finish(noted: int) -> dict:
    db.session.commit()  # the hook sends what was noted
    return {"noted": noted}


# --- plan expiry -----------------------------------------------------------------------------
def run_plan_alerts(now: datetime | None = None) -> dict:
    """Tell owners their plan (or trial) ends within 3 days, and when it has ended."""
    now = now or utcnow()
    noted = 0
    for settings in _linked("notify_plan"):
        user = db.session.get(User, settings.user_id)
        if user is None or user.is_banned:
            continue
        ends = max(filter(None, [user.plan_expires_at, user.trial_ends_at]))
        if now < ends <= now + PLAN_AHEAD:
            state = "soon"
        elif ends <= now < ends + EXPIRED_WITHIN:
            state = "expired"
        else:
            continue
        stamp = ends.astimezone(UTC).isoformat()
        key = f"plan:{state}:{stamp}"
        noted += OwnerAlert.note(user.id, "plan", key, detail=f"{state}|{stamp}") is not None
    return _finish(noted)


# --- the daily summary -----------------------------------------------------------------------
def summary_figures(user_id: int, now: datetime) -> dict:
    """The last 24 hours: conversations, customer questions and how many the bot answered, and
    the questions it could not answer most often."""
    since = now - timedelta(days=1)
    asked = (
        Message.user_id == user_id,
        Message.direction == "in",
        Message.sender == "customer",
        Message.kind == "text",
        Message.created_at >= since,
        Message.platform != "web",
    )
    conversations = db.session.scalar(
        select(func.count(func.distinct(Message.conversation_id))).where(*asked)
    )
    questions = db.session.scalar(select(func.count(Message.id)).where(*asked))
    answered = db.session.scalar(
        select(func.count(Message.id)).where(*asked, Message.status == "answered")
    )
    gaps = db.session.execute(
        select(KnowledgeGap.question, KnowledgeGap.count)
        .where(
            KnowledgeGap.user_id == user_id,
            KnowledgeGap.resolved_at.is_(None),
            KnowledgeGap.last_asked_at >= since,
        )
        .order_by(KnowledgeGap.count.desc(), KnowledgeGap.id)
        .limit(TOP_GAPS)
    ).all()
    return {
        "day": (now + TASHKENT).date().isoformat(),
        "conversations": conversations or 0,
        "questions": questions or 0,
        "answered": answered or 0,
        "gaps": [[q, n] for q, n in gaps],
    }


def run_daily_summaries(now: datetime | None = None) -> dict:
    """Note the summary of every owner whose chosen time (Tashkent) has come today."""
    now = now or utcnow()
    local = now + TASHKENT
    minute = local.hour * 60 + local.minute
    noted = 0
    for settings in _linked("notify_summary"):
        due = settings.summary_minute
        if not due <= minute < due + SUMMARY_WINDOW.total_seconds() // 60:
            continue
        key = f"summary:{local.date().isoformat()}"
        if db.session.scalar(
            select(OwnerAlert.id).where(
                OwnerAlert.user_id == settings.user_id, OwnerAlert.key == key
            )
        ):
            continue
        detail = json.dumps(summary_figures(settings.user_id, now), ensure_ascii=False)
        noted += OwnerAlert.note(settings.user_id, "summary", key, detail=detail) is not None
    return _finish(noted)


# --- channel health and the sweep ------------------------------------------------------------
def run_channel_checks(now: datetime | None = None) -> dict:
    """Ask Telegram whether deliveries to our webhook fail (getWebhookInfo's last error) and Meta
    whether the stored tokens still work, then send alerts a lost hand-off left pending."""
    now = now or utcnow()
    owners = [s.user_id for s in _linked("notify_channels")]
    db.session.commit()  # no transaction open during the network calls
    noted = 0
    for user_id in owners:
        found = channels_for(user_id)
        if "telegram" in found:
            noted += _webhook_failing(user_id, found.pop("telegram"), now)
        for platform, account in found.items():
            try:
                _label, failure = CHANNELS[platform].check(current_app.config, account)
            except SecretError:
                continue
            if failure is not None and failure.token_invalid:
                noted += note_channel(user_id, platform, "token", failure.message) is not None
        db.session.commit()
    return {"noted": noted, **sweep(now)}


def _webhook_failing(user_id: int, bot, now: datetime) -> bool:
    try:
        info = TelegramClient.from_config(current_app.config, bot.token).get_webhook_info()
    except (TelegramError, SecretError) as exc:
        log.info("getWebhookInfo for user %s failed: %s", user_id, exc)
        return False
    when = info.get("last_error_date")
    if isinstance(when, int) and now - datetime.fromtimestamp(when, UTC) < WEBHOOK_ERROR_RECENT:
        words = str(info.get("last_error_message") or "")
        return note_channel(user_id, "telegram", "webhook", words) is not None
    return False


def sweep(now: datetime | None = None) -> dict:
    """Send the alerts still pending a while after they were noted."""
    before = (now or utcnow()) - SWEEP_AFTER
    ids = list(
        db.session.scalars(
            select(OwnerAlert.id)
            .where(OwnerAlert.status == "pending", OwnerAlert.created_at < before)
            .order_by(OwnerAlert.id)
            .limit(500)
        )
    )
    db.session.commit()
    return {"swept": sum(deliver(ids).values()) if ids else 0}
