"""Every e-mail sent to an owner, and who the trial-ended offer and the plan reminders are due for.

A send is claimed first with an atomic conditional UPDATE of the owner's row, so several workers
running the same job never mail one owner twice for one period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, ForeignKey, String, and_, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column, relationship

from extensions import db
from models.base import UTCDateTime, utcnow
from models.billing import PlanRequest
from models.user import User


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


# --- who is due ------------------------------------------------------------------------------
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


# --- claims ----------------------------------------------------------------------------------
# Returned by a claim when another worker (or a state change) won the race.
CLAIM_LOST = object()


@dataclass(frozen=True)
class Mailing:
    """A periodic e-mail to owners: who is due, in which order, and the User column whose
    atomic update claims one owner's e-mail for the current period."""

    due_clause: Callable[[datetime, timedelta], ColumnElement]
    column: InstrumentedAttribute
    order_by: tuple
    stamp: Callable[[datetime], object]  # the value (or SQL expression) a claim writes
    claimed: Callable[[User, datetime], object]  # that value as it reads for one claimed owner

    def owner_ids(self, now: datetime, span: timedelta, limit: int = 500) -> list[int]:
        """Owners this e-mail is due for, in sending order."""
        stmt = select(User.id).where(self.due_clause(now, span)).order_by(*self.order_by)
        return list(db.session.scalars(stmt.limit(limit)))

    def claim(self, user_id: int, now: datetime, span: timedelta):
        """Atomically take this owner's e-mail for the current period.

        Returns the column's previous value (possibly None) when this caller won the claim,
        or `CLAIM_LOST` when the owner is not due any more or another worker got there first.
        """
        column = self.column
        previous = db.session.scalar(select(column).where(User.id == user_id))
        same_previous = column.is_(None) if previous is None else column == previous
        result = db.session.execute(
            update(User)
            .where(User.id == user_id, same_previous, self.due_clause(now, span))
            .values({column.key: self.stamp(now)})
            .execution_options(synchronize_session=False)
        )
        return previous if result.rowcount == 1 else CLAIM_LOST

    def release(self, user_id: int, claimed, previous) -> None:
        """Undo a claim after a failed send so the next run retries (only if still ours)."""
        db.session.execute(
            update(User)
            .where(User.id == user_id, self.column == claimed)
            .values({self.column.key: previous})
            .execution_options(synchronize_session=False)
        )


# The trial-ended offer: due every `interval` while the owner has neither a plan nor a request.
MARKETING = Mailing(
    due_clause=marketing_due_clause,
    column=User.last_marketing_at,
    order_by=(User.last_marketing_at.is_not(None), User.last_marketing_at, User.id),
    stamp=lambda now: now,
    claimed=lambda user, now: now,
)
# The expiry reminder: once per plan period, so the claim records the expiry it reminded of.
REMINDER = Mailing(
    due_clause=reminder_due_clause,
    column=User.plan_reminder_for,
    order_by=(User.plan_expires_at, User.id),
    stamp=lambda now: User.plan_expires_at,
    claimed=lambda user, now: user.plan_expires_at,
)
due_owner_ids = MARKETING.owner_ids
reminder_owner_ids = REMINDER.owner_ids


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
