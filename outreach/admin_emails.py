"""The admin's e-mails to owners: one owner from their page, and an announcement to many (each
owner in their language), sent in the background in batches and claimed once per announcement.
"""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy import select, update

from core.mailer import MailResult, send_email
from core.tasks import task
from extensions import db
from models.announcement import Announcement
from models.base import utcnow
from models.marketing import record_message
from models.queries.announcements import audience_user_ids
from models.user import User
from outreach.owner_emails import absolute_url

log = logging.getLogger(__name__)

KIND_ADMIN_EMAIL = "admin_email"
KIND_ANNOUNCEMENT = "announcement"


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
    return absolute_url("main.dashboard")


# --- the admin told of a new plan request ------------------------------------------------------
@task
def notify_plan_request(request_id: int) -> int:
    """E-mail every admin, in their own language, that an owner asked for a plan; the count
    of e-mails sent."""
    from models.billing import PlanRequest

    request = db.session.get(PlanRequest, request_id)
    if request is None or request.status != "pending":
        return 0
    admins = db.session.scalars(
        select(User).where(User.is_admin.is_(True), User.banned_at.is_(None)).order_by(User.id)
    )
    url = absolute_url("admin.plan_requests")
    sent = 0
    for admin in admins:
        result = send_email(
            admin.email,
            "admin_plan_request",
            admin.language,
            user=admin,
            owner=request.user,
            plan_request=request,
            requests_url=url,
        )
        sent += result.status == "sent"
    log.info("plan request %s: %s admin e-mail(s) sent", request_id, sent)
    return sent
