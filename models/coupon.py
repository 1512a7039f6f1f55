"""Discount coupons: general and personal codes, checked, redeemed atomically and deactivated."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Integer, String, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import UTCDateTime, utcnow


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
        if not self.active:
            return "inactive"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        if self.max_uses is not None and self.uses >= self.max_uses:
            return "used_up"
        return None


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
    problem = coupon.problem_at(utcnow())
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
        if coupon.problem_at(now) is None:
            return coupon
    return generate_coupon(max_uses=1, owner_id=user_id)
