"""Click's Prepare and Complete callbacks applied to orders, idempotently: a repeated Prepare or
Complete for the same Click transaction answers as the first one did and changes nothing."""

from __future__ import annotations

from datetime import datetime

from models.order import Order, cancel, find_order, pay, start
from payments import click
from payments.click import Callback, ClickError


def _order(callback: Callback) -> Order:
    order = find_order("click", callback.merchant_trans_id)
    if order is None:
        raise ClickError(click.ORDER_NOT_FOUND)
    if order.state in ("paid", "refunded") and order.provider_txn_id != callback.click_trans_id:
        raise ClickError(click.ALREADY_PAID)
    if callback.amount_tiyin != order.amount:
        raise ClickError(click.WRONG_AMOUNT)
    return order


def prepare(callback: Callback, now: datetime) -> int:
    """Reserve the order for this Click transaction; returns merchant_prepare_id."""
    order = _order(callback)
    if order.state == "created" and order.timed_out(now):
        cancel(order, now)
    if order.state == "created":
        start(order, callback.click_trans_id, now)  # a lost race leaves the winner's id
    if order.provider_txn_id != callback.click_trans_id:
        raise ClickError(click.CANCELLED)  # cancelled, or another Click transaction holds it
    if order.state in ("paid", "refunded"):
        raise ClickError(click.ALREADY_PAID)
    if order.state != "pending":
        raise ClickError(click.CANCELLED)
    return order.id


def complete(callback: Callback, now: datetime) -> int:
    """Pay the order (or cancel it when Click reports a failure); returns merchant_confirm_id."""
    order = _order(callback)
    if order.provider_txn_id != callback.click_trans_id or str(order.id) != (
        callback.merchant_prepare_id
    ):
        raise ClickError(click.TRANSACTION_NOT_FOUND)
    if order.state == "pending" and (callback.error < 0 or order.timed_out(now)):
        cancel(order, now, callback.error if callback.error < 0 else None)
    if order.state == "pending":
        pay(order, now)  # None when a concurrent Complete paid it first: the order says so now
    if order.state == "paid":
        return order.id
    raise ClickError(click.CANCELLED)
