"""Plan requests from owners and the payments an admin records when approving them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import UTCDateTime, utcnow
from models.coupon import COUPON_PROBLEMS, Coupon, check_coupon, redeem_coupon
from models.user import PLAN_DAYS, PLANS, User

REQUEST_STATUSES = ("pending", "approved", "rejected", "cancelled")


class PlanRequest(db.Model):
    """An owner asks for a plan; the admin approves (recording a payment) or rejects it."""

    __tablename__ = "plan_requests"
    __table_args__ = (
        # One pending request per owner, enforced by the database.
        Index(
            "uq_plan_requests_pending_owner",
            "user_id",
            unique=True,
            sqlite_where=db.text("status = 'pending'"),
            postgresql_where=db.text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    plan: Mapped[str] = mapped_column(String(16))
    list_price: Mapped[int] = mapped_column(Integer)
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id", ondelete="SET NULL"))
    coupon_code: Mapped[str | None] = mapped_column(String(40))
    discount_percent: Mapped[int] = mapped_column(Integer, default=0)
    price_due: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user = relationship("User", foreign_keys=[user_id])
    coupon = relationship("Coupon")


class Payment(db.Model):
    """A plan period granted by an admin, with what the owner owes for it."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_requests.id", ondelete="SET NULL")
    )
    plan: Mapped[str] = mapped_column(String(16))
    list_price: Mapped[int] = mapped_column(Integer)
    discount_amount: Mapped[int] = mapped_column(Integer, default=0)
    amount_due: Mapped[int] = mapped_column(Integer)
    coupon_code: Mapped[str | None] = mapped_column(String(40))
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user = relationship("User", foreign_keys=[user_id])
    admin = relationship("User", foreign_keys=[admin_id])


# --- prices ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanOption:
    """One plan as offered to owners: its price and what it saves against paying monthly."""

    key: str
    days: int
    months: int
    price: int
    monthly_equivalent: int
    saving_percent: int


PLAN_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}


def plan_price(plan: str) -> int:
    return int(current_app.config[f"PLAN_PRICE_{plan.upper()}"])


def plan_options() -> list[PlanOption]:
    """The three plans with price, monthly equivalent and saving % against monthly, from config."""
    monthly = plan_price("monthly")
    options = []
    for key in PLANS:
        months, price = PLAN_MONTHS[key], plan_price(key)
        full = monthly * months
        saving = round((full - price) * 100 / full) if full and price < full else 0
        options.append(
            PlanOption(key, PLAN_DAYS[key], months, price, round(price / months), saving)
        )
    return options


def discount_for(list_price: int, percent: int) -> int:
    """The discount in UZS, rounded half up to a whole soum."""
    return (list_price * max(0, min(percent, 100)) + 50) // 100


def price_after(list_price: int, percent: int) -> int:
    return list_price - discount_for(list_price, percent)


# --- requests --------------------------------------------------------------------------------
class BillingError(Exception):
    """A domain rule refused the operation; the message is translated for the user."""


ALREADY_PENDING = _l("You already have a request waiting for approval.")
NOT_PENDING = _l("This request has already been decided.")


def latest_plan_request(user_id: int) -> PlanRequest | None:
    """The owner's most recent request (shown on the dashboard), or None."""
    return db.session.scalar(
        select(PlanRequest)
        .where(PlanRequest.user_id == user_id)
        .order_by(PlanRequest.created_at.desc(), PlanRequest.id.desc())
        .limit(1)
    )


def pending_request_of(user_id: int) -> PlanRequest | None:
    return db.session.scalar(
        select(PlanRequest).where(PlanRequest.user_id == user_id, PlanRequest.status == "pending")
    )


def offer_terms(plan: str, coupon: Coupon | None) -> tuple[dict, int]:
    """The columns a plan request and a checkout order both record for an offer (plan, list
    price, coupon, discount), and the price due in UZS."""
    list_price = plan_price(plan)
    percent = coupon.percent if coupon else 0
    terms = {
        "plan": plan,
        "list_price": list_price,
        "coupon_id": coupon.id if coupon else None,
        "coupon_code": coupon.code if coupon else None,
        "discount_percent": percent,
    }
    return terms, price_after(list_price, percent)


def checked_offer(user: User, plan: str, coupon_code: str | None) -> Coupon | None:
    """The coupon an owner may apply to a plan (None without one); BillingError otherwise."""
    if plan not in PLANS:
        raise BillingError(_l("Choose a plan."))
    if not (coupon_code and coupon_code.strip()):
        return None
    coupon, problem = check_coupon(coupon_code, user.id)
    if problem:
        raise BillingError(COUPON_PROBLEMS[problem])
    return coupon


def create_plan_request(
    user: User, plan: str, coupon_code: str | None = None, note: str | None = None
) -> PlanRequest:
    """Record an owner's request with the coupon re-validated; the database allows one pending.

    Raises BillingError for a bad coupon or an existing pending request. A concurrent duplicate
    that slips past the check fails on flush with IntegrityError (the partial unique index).
    """
    coupon = checked_offer(user, plan, coupon_code)
    if pending_request_of(user.id) is not None:
        raise BillingError(ALREADY_PENDING)
    terms, price = offer_terms(plan, coupon)
    request = PlanRequest(
        user_id=user.id,
        **terms,
        price_due=price,
        note=(note or "").strip()[:2000] or None,
        status="pending",
        created_at=utcnow(),
    )
    db.session.add(request)
    db.session.flush()
    return request


def _decide(request: PlanRequest, status: str, admin_id: int | None, **values) -> None:
    """Move a pending request to its final status, atomically: a second decision is refused."""
    now = utcnow()
    result = db.session.execute(
        update(PlanRequest)
        .where(PlanRequest.id == request.id, PlanRequest.status == "pending")
        .values(status=status, decided_at=now, decided_by_id=admin_id, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(request)
        raise BillingError(NOT_PENDING)
    db.session.refresh(request)


def cancel_request(request: PlanRequest) -> None:
    """The owner withdraws a pending request."""
    _decide(request, "cancelled", None)


def reject_request(request: PlanRequest, admin: User, reason: str) -> None:
    """The admin refuses a request; the reason is shown to the owner."""
    _decide(request, "rejected", admin.id, reason=reason.strip()[:500])


def approve_request(request: PlanRequest, admin: User, plan: str | None = None) -> Payment:
    """Approve (optionally for another plan): count the coupon once, grant the plan, record it.

    The coupon locked in when the owner asked is honoured even if it has expired or was turned
    off since; only its use limit is hard, so when another approval used it up meanwhile the
    owner is charged the list price (the caller tells the admin: payment.coupon_code is None).
    """
    plan = plan if plan in PLANS else request.plan
    # The owner keeps the price they were shown for the plan they chose.
    list_price = request.list_price if plan == request.plan else plan_price(plan)
    _decide(request, "approved", admin.id, plan=plan)
    percent = request.discount_percent
    if request.coupon_id is None or not redeem_coupon(request.coupon_id):
        percent = 0  # no coupon, or it was used up (or deleted) since the owner applied it
    discount = discount_for(list_price, percent)
    payment = grant_plan(
        request.user,
        plan,
        admin,
        list_price=list_price,
        discount=discount,
        coupon_code=request.coupon_code if percent else None,
        request_id=request.id,
    )
    request.list_price, request.discount_percent = list_price, percent
    request.price_due = list_price - discount
    db.session.flush()
    return payment


def grant_plan(
    user: User,
    plan: str,
    admin: User | None,
    list_price: int | None = None,
    discount: int = 0,
    coupon_code: str | None = None,
    request_id: int | None = None,
    amount_due: int | None = None,
) -> Payment:
    """Give or extend a plan and record the payment owed for it.

    A running plan is extended from its current expiry, so paid days are never lost; otherwise
    the new period starts now. `amount_due`, when given, is what the admin agreed with the owner
    (the difference to the list price is recorded as the discount).
    """
    if plan not in PLANS:
        raise BillingError(_l("Choose a plan."))
    # Lock the owner's row (PostgreSQL) so two grants at once cannot both start from one expiry.
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    db.session.refresh(user, ["plan_expires_at", "plan"])
    now = utcnow()
    running = user.plan_expires_at is not None and user.plan_expires_at > now
    start = user.plan_expires_at if running else now
    end = start + timedelta(days=PLAN_DAYS[plan])
    list_price = plan_price(plan) if list_price is None else list_price
    if amount_due is not None:
        discount = list_price - amount_due
    discount = max(0, min(discount, list_price))
    amount_due = list_price - discount if amount_due is None else amount_due
    user.plan, user.plan_expires_at = plan, end
    payment = Payment(
        user_id=user.id,
        request_id=request_id,
        plan=plan,
        list_price=list_price,
        discount_amount=discount,
        amount_due=amount_due,
        coupon_code=coupon_code,
        admin_id=admin.id if admin else None,
        period_start=start,
        period_end=end,
        created_at=now,
    )
    db.session.add(payment)
    db.session.flush()
    return payment
