"""Self-serve checkout orders (Payme, Click): one row per checkout, moved between states only by
conditional UPDATEs, so a repeated or concurrent callback can never pay, cancel or refund twice.

States: created (link handed out) → pending (the provider opened a transaction) → paid, or
cancelled (before payment, by the provider or by timeout) ; paid → refunded (Payme -2).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, select, update
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from extensions import db
from models.admin_log import AdminLog
from models.base import UTCDateTime, utcnow
from models.billing import (
    BillingError,
    Payment,
    checked_offer,
    grant_plan,
    offer_terms,
)
from models.coupon import redeem_coupon
from models.user import PLAN_DAYS, User

PROVIDERS = ("payme", "click")
STATES = ("created", "pending", "paid", "cancelled", "refunded")
# A checkout link, and a transaction the provider opened, stay good this long (Payme: 12 hours).
TIMEOUT = timedelta(hours=12)

STATE_LABELS = {
    "created": _l("Waiting for payment"),
    "pending": _l("Payment in progress"),
    "paid": _l("Paid"),
    "cancelled": _l("Cancelled"),
    "refunded": _l("Refunded"),
}
PROVIDER_LABELS = {"payme": "Payme", "click": "Click"}


class Order(db.Model):
    """A checkout: what the owner pays (in tiyin), through whom, and where it stands."""

    __tablename__ = "orders"
    __table_args__ = (Index("uq_orders_provider_txn", "provider", "provider_txn_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    plan: Mapped[str] = mapped_column(String(16))
    list_price: Mapped[int] = mapped_column(Integer)  # UZS
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id", ondelete="SET NULL"))
    coupon_code: Mapped[str | None] = mapped_column(String(40))
    discount_percent: Mapped[int] = mapped_column(Integer, default=0)
    amount: Mapped[int] = mapped_column(BigInteger)  # tiyin (1 UZS = 100 tiyin)
    provider: Mapped[str] = mapped_column(String(16), index=True)
    state: Mapped[str] = mapped_column(String(16), default="created", index=True)
    provider_txn_id: Mapped[str | None] = mapped_column(String(64))
    provider_time: Mapped[int | None] = mapped_column(BigInteger)  # Payme's own `time`, ms
    cancel_reason: Mapped[int | None] = mapped_column(Integer)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")
    payment = relationship("Payment", backref=backref("order", uselist=False))

    @property
    def amount_uzs(self) -> int:
        return self.amount // 100

    @property
    def state_label(self):
        return STATE_LABELS.get(self.state, self.state)

    @property
    def provider_label(self) -> str:
        return PROVIDER_LABELS.get(self.provider, self.provider)

    def timed_out(self, now: datetime) -> bool:
        """A link never used, or a transaction never finished, within TIMEOUT."""
        if self.state == "created":
            return now - self.created_at > TIMEOUT
        return self.state == "pending" and now - (self.started_at or self.created_at) > TIMEOUT


def create_order(user: User, provider: str, plan: str, coupon_code: str | None = None) -> Order:
    """A new order at today's price with the coupon checked (BillingError otherwise)."""
    if provider not in PROVIDERS:
        raise BillingError(_l("This payment method is not available."))
    terms, price = offer_terms(plan, checked_offer(user, plan, coupon_code))
    order = Order(
        user_id=user.id,
        **terms,
        amount=price * 100,  # tiyin
        provider=provider,
        state="created",
        created_at=utcnow(),
    )
    db.session.add(order)
    db.session.flush()
    return order


def find_order(provider: str, order_id: str) -> Order | None:
    """The provider's order by our id as the provider sends it (any text)."""
    if not order_id.isdigit() or len(order_id) > 12:
        return None
    return db.session.scalar(
        select(Order).where(Order.id == int(order_id), Order.provider == provider)
    )


def by_transaction(provider: str, txn_id: str) -> Order | None:
    return db.session.scalar(
        select(Order).where(Order.provider == provider, Order.provider_txn_id == txn_id)
    )


def _move(order: Order, allowed: tuple[str, ...], **values) -> bool:
    """Move the order out of one of `allowed` states; False when another call moved it first."""
    query = update(Order).where(Order.id == order.id, Order.state.in_(allowed))
    if "provider_txn_id" in values:
        query = query.where(Order.provider_txn_id.is_(None))
    result = db.session.execute(query.values(**values).execution_options(synchronize_session=False))
    db.session.refresh(order)
    return result.rowcount == 1


def start(order: Order, txn_id: str, now: datetime, provider_time: int | None = None) -> bool:
    """The provider opened its transaction for the order (only one per order, ever)."""
    return _move(
        order,
        ("created",),
        state="pending",
        provider_txn_id=txn_id,
        provider_time=provider_time,
        started_at=now,
    )


def cancel(order: Order, now: datetime, reason: int | None = None) -> bool:
    """Cancel an unpaid order (the provider gave up, or it timed out)."""
    return _move(
        order, ("created", "pending"), state="cancelled", cancelled_at=now, cancel_reason=reason
    )


def pay(order: Order, now: datetime) -> Payment | None:
    """Mark the order paid and grant the plan; None when it was not pending (nothing happens).

    The conditional UPDATE is the once-only gate: of any number of concurrent calls exactly one
    sees rowcount 1 and grants the plan, redeems the coupon and writes the payment and the log.
    """
    if not _move(order, ("pending",), state="paid", paid_at=now):
        return None
    if order.coupon_id is not None:
        redeem_coupon(order.coupon_id)  # the owner paid the discounted price: honour it anyway
    paid = order.amount_uzs
    payment = grant_plan(
        order.user,
        order.plan,
        None,
        list_price=order.list_price,
        coupon_code=order.coupon_code,
        amount_due=paid,
    )
    order.payment_id = payment.id
    # The view commits, then mails the owner about each order paid in its transaction.
    db.session.info.setdefault("paid_orders", []).append(order.id)
    AdminLog.record(
        None,
        "online_payment",
        order.user_id,
        provider=order.provider,
        order_id=order.id,
        plan=order.plan,
        amount_due=paid,
        coupon=order.coupon_code,
        period_end=payment.period_end.isoformat(),
    )
    db.session.flush()
    return payment


def refund(order: Order, now: datetime, reason: int | None = None) -> bool:
    """Payment cancelled after it was made: take the plan's days back and tell the admin."""
    if not _move(order, ("paid",), state="refunded", cancelled_at=now, cancel_reason=reason):
        return False
    user = order.user
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    db.session.refresh(user, ["plan_expires_at"])
    if user.plan_expires_at is not None:
        user.plan_expires_at -= timedelta(days=PLAN_DAYS[order.plan])
    AdminLog.record(
        None,
        "online_refund",
        order.user_id,
        provider=order.provider,
        order_id=order.id,
        plan=order.plan,
        amount_due=order.amount_uzs,
        period_end=user.plan_expires_at.isoformat() if user.plan_expires_at else None,
    )
    db.session.flush()
    return True


def enabled_providers() -> list[str]:
    """The rails whose settings are all present (each is optional; the product runs without)."""
    config = current_app.config
    needs = {
        "payme": ("PAYME_MERCHANT_ID", "PAYME_KEY"),
        "click": ("CLICK_SERVICE_ID", "CLICK_MERCHANT_ID", "CLICK_SECRET_KEY"),
    }
    return [p for p in PROVIDERS if all(config.get(name) for name in needs[p])]
