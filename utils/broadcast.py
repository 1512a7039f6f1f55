"""The admin's outreach: an e-mail to one owner, an announcement e-mailed to many owners, and a
message to every customer of one owner on one platform, sent in the background within the
platforms' rate limits and Meta's 24-hour window.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

from flask import current_app
from sqlalchemy import select, update

from extensions import db
from models.admin_log import AdminLog
from models.base import utcnow
from models.conversation import Conversation
from models.marketing import Announcement, record_message
from models.queries import audience_user_ids
from models.user import User
from utils.email_sender import MailResult, send_email
from utils.tasks import task

try:  # the outbound sender belongs to the channels work; the admin pages must load without it
    from utils import outbound
except ImportError:  # pragma: no cover - only while utils/outbound.py does not exist
    outbound = None

log = logging.getLogger(__name__)

KIND_ADMIN_EMAIL = "admin_email"
KIND_ANNOUNCEMENT = "announcement"
# Messages per second to different chats of one bot/number. Telegram allows about 30 per bot
# (and 1 per chat); Meta's limits are per business number or account and also well above this.
SEND_RATES = {"telegram": 25.0, "whatsapp": 20.0, "instagram": 10.0}
RECIPIENTS_KEPT = 500  # per-recipient results stored in the admin log (the counts cover all)


def can_message_customers() -> bool:
    return outbound is not None


# --- e-mail to one owner ---------------------------------------------------------------------
def email_owner(user: User, subject: str, body: str) -> MailResult:
    """Send the admin's e-mail to an owner in their language and record it (caller commits)."""
    result = send_email(
        user.email, "admin_message", user.language, user=user, subject=subject, body=body
    )
    record_message(user.id, KIND_ADMIN_EMAIL, subject, result.status, result.error)
    return result


# --- announcements ---------------------------------------------------------------------------
def _claim_announcement(announcement_id: int, recipients: int) -> bool:
    """Take the e-mail run once: a re-run of the task (retry, second worker) sends nothing."""
    result = db.session.execute(
        update(Announcement)
        .where(
            Announcement.id == announcement_id,
            Announcement.send_email.is_(True),
            Announcement.recipients == 0,
            Announcement.emails_sent == 0,
            Announcement.emails_failed == 0,
        )
        .values(recipients=recipients)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


@task
def send_announcement_emails(announcement_id: int, batch: int = 50) -> dict[str, int]:
    """E-mail an announcement to its audience in each owner's language; counts kept on the row."""
    announcement = db.session.get(Announcement, announcement_id)
    if announcement is None:
        return {}
    ids = audience_user_ids(announcement.audience, utcnow())
    if not ids or not _claim_announcement(announcement_id, len(ids)):
        return {}
    dashboard = _dashboard_url()
    totals: Counter = Counter()
    for i in range(0, len(ids), batch):
        users = db.session.scalars(select(User).where(User.id.in_(ids[i : i + batch])))
        sent = failed = 0
        for user in users:
            subject, body = announcement.text_for(user.language)
            result = send_email(
                user.email,
                "announcement",
                user.language,
                user=user,
                subject=subject,
                body=body,
                dashboard_url=dashboard,
            )
            record_message(user.id, KIND_ANNOUNCEMENT, subject, result.status, result.error)
            sent, failed = sent + result.sent, failed + (not result.sent)
        # Counters move in SQL so progress shows while a long run is still going.
        db.session.execute(
            update(Announcement)
            .where(Announcement.id == announcement_id)
            .values(
                emails_sent=Announcement.emails_sent + sent,
                emails_failed=Announcement.emails_failed + failed,
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        totals.update(sent=sent, failed=failed)
    log.info("announcement %s e-mailed: %s", announcement_id, dict(totals))
    return dict(totals)


def _dashboard_url() -> str:
    from utils.owner_emails import absolute_url

    return absolute_url("main.dashboard")


# --- messages to every customer of one owner -------------------------------------------------
def _send_one(conv: Conversation, text: str) -> dict:
    row = {"conversation": conv.id, "customer": conv.customer_name or conv.customer_ref}
    if conv.blocked_at is not None:
        return row | {"result": "blocked"}
    if not conv.window_open():
        return row | {"result": "outside_window"}
    try:
        msg = outbound.send_to_conversation(conv, text, sender="admin")
    except outbound.OutsideWindow:
        return row | {"result": "outside_window"}
    except Exception as exc:  # one bad conversation must not stop the rest of the run
        log.exception("admin message to conversation %s failed", conv.id)
        db.session.rollback()
        return row | {"result": "failed", "error": type(exc).__name__}
    if msg.status == "failed":
        return row | {"result": "failed", "error": (msg.error or "")[:200]}
    return row | {"result": "sent"}


@task
def message_all_customers(
    admin_id: int | None,
    user_id: int,
    platform: str,
    text: str,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Send the admin's text to each of the owner's customers on one platform, one at a time.

    Conversations outside Meta's 24-hour window (or whose customer blocked the bot) are skipped.
    A pause after each send keeps within the platform's per-bot rate; each chat gets one
    message. The per-recipient results are written to the admin log about this owner.
    """
    if outbound is None:
        raise RuntimeError("utils.outbound is not available")
    interval = 1.0 / current_app.config.get("BROADCAST_RATES", SEND_RATES).get(platform, 1.0)
    conv_ids = list(
        db.session.scalars(
            select(Conversation.id)
            .where(Conversation.user_id == user_id, Conversation.platform == platform)
            .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        )
    )
    results = []
    for conv_id in conv_ids:
        conv = db.session.get(Conversation, conv_id)
        row = _send_one(conv, text)
        db.session.commit()  # each message is recorded as soon as it is sent
        results.append(row)
        if row["result"] in ("sent", "failed"):
            sleep(interval)
    counts = Counter(r["result"] for r in results)
    summary = {
        "platform": platform,
        "total": len(results),
        "sent": counts["sent"],
        "failed": counts["failed"],
        "outside_window": counts["outside_window"],
        "blocked": counts["blocked"],
        "finished_at": utcnow().isoformat(),
    }
    AdminLog.record(
        admin_id,
        "message_all_customers_result",
        user_id,
        **summary,
        recipients=results[:RECIPIENTS_KEPT],
    )
    db.session.commit()
    log.info("admin message to customers of %s on %s: %s", user_id, platform, dict(counts))
    return summary
