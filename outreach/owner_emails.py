"""E-mails to owners about their plan: the trial-ended offer every 54 hours, expiry reminders,
and the admin's decision on a plan request. Each send is claimed atomically first, so several
workers or instances running these jobs at once never mail anyone twice for one period.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import parseaddr

from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import OperationalError

from core.mailer import MailResult, render_email, send_email
from core.tasks import task
from extensions import db
from models.base import utcnow
from models.billing import PlanRequest
from models.coupon import personal_coupon_for
from models.marketing import (
    CLAIM_LOST,
    MARKETING,
    REMINDER,
    Mailing,
    marketing_interval,
    record_message,
)
from models.order import Order
from models.user import User, make_reset_token

log = logging.getLogger(__name__)

KIND_MARKETING = "trial_ended"
KIND_REMINDER = "plan_reminder"
KIND_APPROVED = "plan_approved"
KIND_REJECTED = "plan_rejected"
KIND_PAID = "plan_paid"
KIND_WELCOME = "welcome"
KINDS = (KIND_MARKETING, KIND_REMINDER, KIND_APPROVED, KIND_REJECTED, KIND_PAID, KIND_WELCOME)


# --- links -----------------------------------------------------------------------------------
def absolute_url(endpoint: str, **values) -> str:
    """An absolute link for an e-mail: from WEBHOOK_BASE_URL when set, else the request's host,
    else (background jobs) the local server that `make run` starts."""
    base = current_app.config.get("WEBHOOK_BASE_URL")
    if not base and has_request_context():
        return url_for(endpoint, _external=True, **values)
    if not base:
        base = current_app.config["LOCAL_BASE_URL"]
        log.warning("WEBHOOK_BASE_URL is not set; e-mail links point to %s", base)
    # Jobs have no request; a throw-away request context on the public base URL builds links.
    with current_app.test_request_context("/", base_url=base):
        return url_for(endpoint, _external=True, **values)


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def make_unsubscribe_token(user: User) -> str:
    """A signed, non-expiring token: an old e-mail's unsubscribe link must keep working."""
    return _unsubscribe_serializer().dumps({"u": user.id})


def user_from_unsubscribe_token(token: str) -> User | None:
    try:
        data = _unsubscribe_serializer().loads(token)
    except BadSignature:
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    return db.session.get(User, user_id) if isinstance(user_id, int) else None


def unsubscribe_headers(unsubscribe_url: str) -> dict[str, str]:
    """RFC 2369 / RFC 8058 headers that let Gmail and others show a one-click unsubscribe."""
    sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    links = [f"<{unsubscribe_url}>"]
    if sender:
        links.append(f"<mailto:{sender}?subject=unsubscribe>")
    return {
        "List-Unsubscribe": ", ".join(links),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# --- sending with claims ---------------------------------------------------------------------
def _claim(mailing: Mailing, user_id: int, now: datetime, span: timedelta):
    """Run a claim in its own short transaction; SQLite lock contention is retried, then skipped."""
    for attempt in range(5):
        try:
            previous = mailing.claim(user_id, now, span)
            db.session.commit()
            return previous
        except OperationalError:
            db.session.rollback()
            time.sleep(0.05 * (attempt + 1))
    log.warning("could not claim user %s after retries; the next run will try again", user_id)
    return CLAIM_LOST


def _send(user: User, template: str, **context) -> tuple[str, MailResult]:
    """Send, turning any rendering error into a failed result (the job goes on)."""
    headers = context.pop("headers", None)
    try:
        subject = render_email(template, user.language, user=user, **context)[0]
        result = send_email(
            user.email, template, user.language, headers=headers, user=user, **context
        )
    except Exception as exc:  # a broken template must not stop the other owners' e-mails
        log.exception("rendering %s for user %s failed", template, user.id)
        return template, MailResult(False, "failed", f"{type(exc).__name__}: {exc}"[:500])
    return subject, result


# A periodic e-mail's body: (subject, result, coupon code) for one claimed owner.
Mail = Callable[[User], tuple[str, MailResult, str | None]]


def _trial_ended_mail(user: User) -> tuple[str, MailResult, str | None]:
    """The offer e-mail: personal coupon, request link, unsubscribe."""
    coupon = personal_coupon_for(user.id)
    db.session.commit()  # the coupon exists before any link to it leaves the building
    unsubscribe_url = absolute_url("billing.unsubscribe", token=make_unsubscribe_token(user))
    subject, result = _send(
        user,
        "marketing_trial_ended",
        coupon=coupon,
        request_url=absolute_url("billing.request_access", coupon=coupon.code),
        unsubscribe_url=unsubscribe_url,
        lapsed=user.plan_expires_at is not None,
        headers=unsubscribe_headers(unsubscribe_url),
    )
    return subject, result, coupon.code


def _reminder_mail(user: User) -> tuple[str, MailResult, str | None]:
    subject, result = _send(
        user,
        "plan_reminder",
        expires_at=user.plan_expires_at,
        request_url=absolute_url("billing.request_access"),
    )
    return subject, result, None


def _run(mailing: Mailing, kind: str, mail: Mail, span: timedelta, now: datetime) -> Counter:
    """Claim, send and record the e-mail for every owner it is due for; counts by outcome.

    A failed send (or an unexpected error) releases the claim, so the next run tries again.
    """
    user_ids = mailing.owner_ids(now, span)
    db.session.commit()  # end the read transaction before claiming
    stats: Counter = Counter()
    for user_id in user_ids:
        previous = _claim(mailing, user_id, now, span)
        if previous is CLAIM_LOST:
            stats["skipped"] += 1
            continue
        user = db.session.get(User, user_id)
        claimed = mailing.claimed(user, now)
        try:
            subject, result, coupon_code = mail(user)
            if result.status == "failed":
                mailing.release(user_id, claimed, previous)
            record_message(user_id, kind, subject, result.status, result.error, coupon_code)
            db.session.commit()
        except Exception:
            db.session.rollback()
            mailing.release(user_id, claimed, previous)
            db.session.commit()
            log.exception("%s e-mail to user %s failed", kind, user_id)
            stats["failed"] += 1
            continue
        stats[result.status] += 1
    return stats


def run_marketing(now: datetime | None = None) -> Counter:
    """Send the trial-ended e-mail to every owner due now; returns counts by outcome."""
    return _run(MARKETING, KIND_MARKETING, _trial_ended_mail, marketing_interval(), now or utcnow())


def run_plan_reminders(now: datetime | None = None) -> Counter:
    """Remind owners PLAN_REMINDER_DAYS before their plan ends, once per plan period."""
    ahead = timedelta(days=current_app.config["PLAN_REMINDER_DAYS"])
    return _run(REMINDER, KIND_REMINDER, _reminder_mail, ahead, now or utcnow())


@task
def send_plan_decision(request_id: int) -> str | None:
    """Tell the owner, in their language, that the admin approved or rejected their request."""
    request = db.session.get(PlanRequest, request_id)
    if request is None or request.status not in ("approved", "rejected"):
        return None
    user = request.user
    kind = KIND_APPROVED if request.status == "approved" else KIND_REJECTED
    subject, result = _send(
        user,
        kind,
        plan_request=request,
        dashboard_url=absolute_url("main.dashboard"),
        request_url=absolute_url("billing.request_access"),
    )
    record_message(user.id, kind, subject, result.status, result.error, request.coupon_code)
    db.session.commit()
    return result.status


@task
def send_welcome(user_id: int) -> str | None:
    """The welcome e-mail at registration, in the language the owner registered in."""
    user = db.session.get(User, user_id)
    if user is None or user.is_banned:
        return None
    subject, result = _send(user, KIND_WELCOME, dashboard_url=absolute_url("main.dashboard"))
    record_message(user.id, KIND_WELCOME, subject, result.status, result.error)
    db.session.commit()
    return result.status


@task
def send_payment_receipt(order_id: int) -> str | None:
    """Tell the owner, in their language, that their online payment went through."""
    order = db.session.get(Order, order_id)
    if order is None or order.state != "paid":
        return None
    user = order.user
    subject, result = _send(
        user,
        "payment_received",
        order=order,
        dashboard_url=absolute_url("main.dashboard"),
        result_url=absolute_url("payments.result", order_id=order.id),
    )
    record_message(user.id, KIND_PAID, subject, result.status, result.error, order.coupon_code)
    db.session.commit()
    return result.status


@task
def send_password_reset(login: str) -> str | None:
    """Mail a reset link when the address belongs to an active account; nothing otherwise.

    Runs in the background, so the forgot-password answer takes as long whether or not the
    account exists. The link is built from WEBHOOK_BASE_URL (see absolute_url).
    """
    user = User.find_by_login(login)
    if user is None or user.is_banned:
        return None
    link = absolute_url("auth.reset_password", token=make_reset_token(user))
    return send_email(user.email, "reset_password", user.language, user=user, link=link).status
