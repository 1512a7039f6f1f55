"""Coupons, marketing e-mails and global announcements."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import UTCDateTime, utcnow
from models.user import User


class Coupon(db.Model):
    """A discount code (10% by default); `owner_id` set for a personal coupon."""

    __tablename__ = "coupons"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, index=True)  # stored upper-case
    percent: Mapped[int] = mapped_column(Integer, default=10)
    max_uses: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner = relationship("User", foreign_keys=[owner_id])

    def problem_at(self, now: datetime) -> str | None:
        """None while the coupon can be applied, else inactive, expired or used_up."""
        return _coupon_is_live_at(self, now)


class MarketingMessage(db.Model):
    """Every e-mail the platform sent to an owner: marketing, reminders, notices, announcements."""

    __tablename__ = "marketing_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), index=True)  # sent, logged, failed
    error: Mapped[str | None] = mapped_column(String(500))
    coupon_code: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user = relationship("User")


class Announcement(db.Model):
    """A global message to owners: a dashboard banner and an e-mail, per language."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_uz: Mapped[str] = mapped_column(String(200))
    body_uz: Mapped[str] = mapped_column(Text)
    subject_ru: Mapped[str | None] = mapped_column(String(200))
    body_ru: Mapped[str | None] = mapped_column(Text)
    subject_en: Mapped[str | None] = mapped_column(String(200))
    body_en: Mapped[str | None] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(16), default="all")  # all, trial, paid, expired
    send_email: Mapped[bool] = mapped_column(Boolean, default=True)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    emails_sent: Mapped[int] = mapped_column(Integer, default=0)
    emails_failed: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)

    def text_for(self, language: str) -> tuple[str, str]:
        """Subject and body in a language, falling back to Uzbek."""
        subject = getattr(self, f"subject_{language}", None) or self.subject_uz
        body = getattr(self, f"body_{language}", None) or self.body_uz
        return subject, body


class AnnouncementDismissal(db.Model):
    """An owner closed an announcement banner."""

    __tablename__ = "announcement_dismissals"
    __table_args__ = (UniqueConstraint("announcement_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- coupons ---------------------------------------------------------------------------------
# Codes avoid look-alike characters (0/O, 1/I/L) so they survive being read out or retyped.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_RANDOM_LENGTH = 6

COUPON_PROBLEMS = {
    "unknown": _l("This coupon code does not exist."),
    "inactive": _l("This coupon is no longer active."),
    "expired": _l("This coupon has expired."),
    "used_up": _l("This coupon has already been used the maximum number of times."),
}


def normalize_code(code: str | None) -> str:
    """Codes are case-insensitive on entry and stored upper-case, without spaces."""
    return "".join((code or "").split()).upper()[:40]


def _coupon_is_live_at(coupon: Coupon, now: datetime) -> str | None:
    if not coupon.active:
        return "inactive"
    if coupon.expires_at is not None and coupon.expires_at <= now:
        return "expired"
    if coupon.max_uses is not None and coupon.uses >= coupon.max_uses:
        return "used_up"
    return None


def _new_code(percent: int, now: datetime) -> str:
    tail = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_RANDOM_LENGTH))
    return f"SAVE{percent}-UZ-{now.year}-{tail}"


def generate_coupon(
    percent: int | None = None,
    max_uses: int | None = None,
    expires_at: datetime | None = None,
    created_by_id: int | None = None,
    owner_id: int | None = None,
) -> Coupon:
    """Create a coupon with a random, unguessable, readable code (added and flushed)."""
    percent = percent or current_app.config["COUPON_DEFAULT_PERCENT"]
    now = utcnow()
    code = _new_code(percent, now)
    while db.session.scalar(select(Coupon.id).where(Coupon.code == code)) is not None:
        code = _new_code(percent, now)  # ~1e9 codes per prefix: a clash is all but impossible
    coupon = Coupon(
        code=code,
        percent=percent,
        max_uses=max_uses,
        uses=0,
        expires_at=expires_at,
        active=True,
        owner_id=owner_id,
        created_by_id=created_by_id,
        created_at=now,
    )
    db.session.add(coupon)
    db.session.flush()
    return coupon


def check_coupon(code: str | None, user_id: int | None) -> tuple[Coupon | None, str | None]:
    """(coupon, None) when the code can be applied by this owner, else (None, problem key)."""
    code = normalize_code(code)
    coupon = db.session.scalar(select(Coupon).where(Coupon.code == code)) if code else None
    # Someone else's personal coupon is reported as unknown: it must not leak that it exists.
    if coupon is None or (coupon.owner_id is not None and coupon.owner_id != user_id):
        return None, "unknown"
    problem = _coupon_is_live_at(coupon, utcnow())
    return (None, problem) if problem else (coupon, None)


def redeem_coupon(coupon_id: int) -> bool:
    """Count one use, atomically and only while under the limit; False when it is used up."""
    result = db.session.execute(
        update(Coupon)
        .where(
            Coupon.id == coupon_id,
            or_(Coupon.max_uses.is_(None), Coupon.uses < Coupon.max_uses),
        )
        .values(uses=Coupon.uses + 1)
        .execution_options(synchronize_session=False)
    )
    coupon = db.session.get(Coupon, coupon_id)
    if coupon is not None:
        db.session.refresh(coupon, ["uses"])
    return result.rowcount == 1


def deactivate_coupon(coupon: Coupon) -> None:
    coupon.active = False
    db.session.flush()


def personal_coupon_for(user_id: int) -> Coupon:
    """The owner's personal single-use coupon, reused while it is still valid."""
    now = utcnow()
    candidates = db.session.scalars(
        select(Coupon).where(Coupon.owner_id == user_id).order_by(Coupon.id.desc())
    )
    for coupon in candidates:
        if _coupon_is_live_at(coupon, now) is None:
            return coupon
    return generate_coupon(max_uses=1, owner_id=user_id)


# --- marketing: who is due -------------------------------------------------------------------
def marketing_interval() -> timedelta:
    return timedelta(hours=current_app.config["MARKETING_INTERVAL_HOURS"])


def is_marketing_due(
    user: User, now: datetime, interval: timedelta, has_pending_request: bool = False
) -> bool:
    """Whether the trial-ended e-mail is due for this owner at `now` (the rule in plain Python).

    Due: trial over, no running plan, not banned, not unsubscribed, not an admin, no plan request
    waiting for the admin, and no marketing e-mail within the last `interval`.
    """
    if user.is_admin or user.banned_at is not None or user.marketing_unsubscribed_at is not None:
        return False
    if has_pending_request or user.trial_ends_at > now:
        return False
    if user.plan_expires_at is not None and user.plan_expires_at > now:
        return False
    return user.last_marketing_at is None or user.last_marketing_at <= now - interval


def _pending_request_exists():
    from models.billing import PlanRequest

    return (
        select(PlanRequest.id)
        .where(PlanRequest.user_id == User.id, PlanRequest.status == "pending")
        .exists()
    )


def marketing_due_clause(now: datetime, interval: timedelta):
    """The same rule as is_marketing_due, as SQL (used to find owners and to claim them)."""
    return and_(
        User.is_admin.is_(False),
        User.banned_at.is_(None),
        User.marketing_unsubscribed_at.is_(None),
        User.trial_ends_at <= now,
        or_(User.plan_expires_at.is_(None), User.plan_expires_at <= now),
        or_(User.last_marketing_at.is_(None), User.last_marketing_at <= now - interval),
        ~_pending_request_exists(),
    )


def due_owner_ids(now: datetime, interval: timedelta, limit: int = 500) -> list[int]:
    """Owners the trial-ended e-mail is due for, oldest first."""
    return list(
        db.session.scalars(
            select(User.id)
            .where(marketing_due_clause(now, interval))
            .order_by(User.last_marketing_at.is_not(None), User.last_marketing_at, User.id)
            .limit(limit)
        )
    )


# Returned by the claim functions when another worker (or a state change) won the race.
CLAIM_LOST = object()


def claim_marketing(user_id: int, now: datetime, interval: timedelta):
    """Atomically take this owner's e-mail for the current period.

    Returns the previous `last_marketing_at` (possibly None) when this caller won the claim,
    or `CLAIM_LOST` when the owner is not due any more or another worker got there first.
    """
    previous = db.session.scalar(select(User.last_marketing_at).where(User.id == user_id))
    same_previous = (
        User.last_marketing_at.is_(None) if previous is None else User.last_marketing_at == previous
    )
    result = db.session.execute(
        update(User)
        .where(User.id == user_id, same_previous, marketing_due_clause(now, interval))
        .values(last_marketing_at=now)
        .execution_options(synchronize_session=False)
    )
    return previous if result.rowcount == 1 else CLAIM_LOST


def release_marketing_claim(user_id: int, claimed_at: datetime, previous: datetime | None) -> None:
    """Undo a claim after a failed send so the next run retries (only if still ours)."""
    db.session.execute(
        update(User)
        .where(User.id == user_id, User.last_marketing_at == claimed_at)
        .values(last_marketing_at=previous)
        .execution_options(synchronize_session=False)
    )


# --- plan expiry reminders -------------------------------------------------------------------
def reminder_due_clause(now: datetime, ahead: timedelta):
    """Running plans ending within `ahead` whose reminder was not sent for this expiry yet."""
    return and_(
        User.is_admin.is_(False),
        User.banned_at.is_(None),
        User.plan_expires_at.is_not(None),
        User.plan_expires_at > now,
        User.plan_expires_at <= now + ahead,
        or_(User.plan_reminder_for.is_(None), User.plan_reminder_for != User.plan_expires_at),
    )


def is_reminder_due(user: User, now: datetime, ahead: timedelta) -> bool:
    if user.is_admin or user.banned_at is not None or user.plan_expires_at is None:
        return False
    if not now < user.plan_expires_at <= now + ahead:
        return False
    return user.plan_reminder_for != user.plan_expires_at


def reminder_owner_ids(now: datetime, ahead: timedelta, limit: int = 500) -> list[int]:
    return list(
        db.session.scalars(
            select(User.id)
            .where(reminder_due_clause(now, ahead))
            .order_by(User.plan_expires_at, User.id)
            .limit(limit)
        )
    )


def claim_reminder(user_id: int, now: datetime, ahead: timedelta):
    """Atomically mark the reminder for the current expiry as taken; see claim_marketing."""
    previous = db.session.scalar(select(User.plan_reminder_for).where(User.id == user_id))
    same_previous = (
        User.plan_reminder_for.is_(None) if previous is None else User.plan_reminder_for == previous
    )
    result = db.session.execute(
        update(User)
        .where(User.id == user_id, same_previous, reminder_due_clause(now, ahead))
        .values(plan_reminder_for=User.plan_expires_at)
        .execution_options(synchronize_session=False)
    )
    return previous if result.rowcount == 1 else CLAIM_LOST


def release_reminder_claim(user_id: int, expires_at: datetime, previous: datetime | None) -> None:
    db.session.execute(
        update(User)
        .where(User.id == user_id, User.plan_reminder_for == expires_at)
        .values(plan_reminder_for=previous)
        .execution_options(synchronize_session=False)
    )


def record_message(
    user_id: int,
    kind: str,
    subject: str,
    status: str,
    error: str | None = None,
    coupon_code: str | None = None,
) -> MarketingMessage:
    """Store one e-mail sent (or tried) to an owner, for the admin's E-mails page."""
    message = MarketingMessage(
        user_id=user_id,
        kind=kind,
        subject=subject[:300],
        status=status,
        error=(error or None) and error[:500],
        coupon_code=coupon_code,
        created_at=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    return message
