"""Payme's Merchant API calls applied to orders. Every method is idempotent: a repeated call
answers as the first one did, and a call that loses a race re-reads the order and answers from
what the winner wrote."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from extensions import db
from models.order import Order, by_transaction, cancel, find_order, pay, refund, start
from payments import payme
from payments.payme import PaymeError, to_ms

ACCOUNT_FIELD = "order_id"
STATE_CODES = {
    "pending": payme.CREATED,
    "paid": payme.PERFORMED,
    "cancelled": payme.CANCELLED,
    "refunded": payme.CANCELLED_AFTER_PERFORM,
}


def _payable(call: payme.Call, now: datetime) -> Order:
    """The order named in `account`, at the right amount and still open for a transaction."""
    order = find_order("payme", call.account_value(ACCOUNT_FIELD))
    if order is None:
        raise PaymeError(payme.ORDER_NOT_FOUND, ACCOUNT_FIELD)
    if call.amount() != order.amount:
        raise PaymeError(payme.WRONG_AMOUNT, "amount")
    if order.state == "created" and order.timed_out(now):
        cancel(order, now, payme.REASON_TIMEOUT)
    if order.state != "created":
        raise PaymeError(payme.ORDER_UNAVAILABLE, ACCOUNT_FIELD)
    return order


def _transaction(call: payme.Call) -> Order:
    order = by_transaction("payme", call.transaction_id())
    if order is None:
        raise PaymeError(payme.NOT_FOUND, "id")
    return order


def _expire(order: Order, now: datetime) -> None:
    """A transaction left open past 12 hours is cancelled (reason 4) and can never be paid."""
    if order.state == "pending" and order.timed_out(now):
        cancel(order, now, payme.REASON_TIMEOUT)
        raise PaymeError(payme.CANNOT_PERFORM, "id")


def _details(order: Order) -> dict:
    return {
        "create_time": to_ms(order.started_at),
        "perform_time": to_ms(order.paid_at),
        "cancel_time": to_ms(order.cancelled_at),
        "transaction": str(order.id),
        "state": STATE_CODES.get(order.state, payme.CANCELLED),
        "reason": order.cancel_reason,
    }


def check_perform(call: payme.Call, now: datetime) -> dict:
    _payable(call, now)
    return {"allow": True}


def create(call: payme.Call, now: datetime) -> dict:
    txn_id = call.transaction_id()
    order = by_transaction("payme", txn_id)
    if order is None:
        order = _payable(call, now)
        if not start(order, txn_id, now, call.integer("time")) and order.provider_txn_id != txn_id:
            raise PaymeError(payme.ORDER_UNAVAILABLE, ACCOUNT_FIELD)  # another transaction won
    if order.state != "pending":
        raise PaymeError(payme.CANNOT_PERFORM, "id")
    _expire(order, now)
    return {"create_time": to_ms(order.started_at), "transaction": str(order.id), "state": 1}


def perform(call: payme.Call, now: datetime) -> dict:
    order = _transaction(call)
    _expire(order, now)
    if order.state == "pending":
        pay(order, now)  # None when a concurrent call paid it first: the order says so now
    if order.state != "paid":
        raise PaymeError(payme.CANNOT_PERFORM, "id")
    return {"transaction": str(order.id), "perform_time": to_ms(order.paid_at), "state": 2}


def cancel_transaction(call: payme.Call, now: datetime) -> dict:
    order = _transaction(call)
    reason = call.params.get("reason")
    reason = reason if isinstance(reason, int) and not isinstance(reason, bool) else None
    if order.state == "pending":
        cancel(order, now, reason)
    if order.state == "paid":
        refund(order, now, reason)
    if order.state not in ("cancelled", "refunded"):
        raise PaymeError(payme.CANNOT_CANCEL, "id")
    details = _details(order)
    return {key: details[key] for key in ("transaction", "cancel_time", "state")}


def check(call: payme.Call, now: datetime) -> dict:
    return _details(_transaction(call))


def statement(call: payme.Call, now: datetime) -> dict:
    """Transactions Payme created between `from` and `to` (its own times, ms), for reconciling."""
    start_ms, end_ms = call.integer("from"), call.integer("to")
    orders = db.session.scalars(
        select(Order)
        .where(
            Order.provider == "payme",
            Order.provider_time >= start_ms,
            Order.provider_time <= end_ms,
        )
        .order_by(Order.provider_time)
    )
    return {
        "transactions": [
            {
                "id": order.provider_txn_id,
                "time": order.provider_time,
                "amount": order.amount,
                "account": {ACCOUNT_FIELD: str(order.id)},
                "receivers": None,
                **_details(order),
            }
            for order in orders
        ]
    }


HANDLERS = {
    "CheckPerformTransaction": check_perform,
    "CreateTransaction": create,
    "PerformTransaction": perform,
    "CancelTransaction": cancel_transaction,
    "CheckTransaction": check,
    "GetStatement": statement,
}


def handle(call: payme.Call, now: datetime) -> dict:
    """The `result` of one call (PaymeError for an error answer); the caller commits."""
    return HANDLERS[call.method](call, now)
