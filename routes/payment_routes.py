"""Self-serve checkout: the owner starts a Payme or Click payment and reads its result; the two
providers' callbacks (CSRF-exempt one by one, authenticated before any work)."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core.tasks import enqueue
from extensions import csrf, db
from forms.billing import RequestAccessForm
from models.base import utcnow
from models.billing import BillingError
from models.order import Order, create_order, enabled_providers
from models.order_click import complete, prepare
from models.order_payme import ACCOUNT_FIELD, handle
from outreach.owner_emails import send_payment_receipt
from payments import click, payme
from routes.helpers import get_owned_or_404

bp = Blueprint("payments", __name__, url_prefix="/payments")
log = logging.getLogger(__name__)
MAX_CALLBACK_BYTES = 64 * 1024


def _checkout_url(order: Order) -> str:
    config = current_app.config
    back = url_for("payments.result", order_id=order.id, _external=True)
    if order.provider == "payme":
        base, merchant = config["PAYME_CHECKOUT_URL"], config["PAYME_MERCHANT_ID"]
        return payme.checkout_url(base, merchant, ACCOUNT_FIELD, str(order.id), order.amount, back)
    return click.pay_url(
        config["CLICK_PAY_URL"],
        config["CLICK_SERVICE_ID"],
        config["CLICK_MERCHANT_ID"],
        order.amount,
        str(order.id),
        back,
    )


@bp.post("/checkout/<provider>")
@login_required
def checkout(provider: str):
    """Open an order for the chosen plan (and coupon) and send the owner to the provider."""
    if provider not in enabled_providers() or current_user.is_admin:
        abort(404)
    form = RequestAccessForm()
    try:
        if not form.validate_on_submit():
            raise BillingError(next(iter(form.errors.values()))[0])
        order = create_order(current_user, provider, form.plan.data, form.coupon.data)
    except BillingError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("billing.request_access", coupon=form.coupon.data or None))
    db.session.commit()
    return redirect(_checkout_url(order))


@bp.get("/orders/<int:order_id>")
@login_required
def result(order_id: int):
    """What happened to the owner's payment (the providers send the owner back here)."""
    order = get_owned_or_404(Order, order_id)
    return render_template("payment_result.html", order=order)


def _commit_and_mail() -> None:
    """Commit the callback's work, then mail the owner about every order it paid."""
    paid = db.session.info.pop("paid_orders", [])
    db.session.commit()
    for order_id in paid:
        enqueue(send_payment_receipt, order_id)


def _failed(kind: str) -> None:
    db.session.rollback()
    db.session.info.pop("paid_orders", None)
    log.exception("%s callback failed", kind)  # never the body: it names the owner's order


@csrf.exempt
@bp.post("/payme")
def payme_callback():
    """Payme's Merchant API (JSON-RPC 2.0); always HTTP 200, errors in the body."""
    too_big = (request.content_length or 0) > MAX_CALLBACK_BYTES
    body = b"" if too_big else request.get_data(cache=False)
    call_id = payme.request_id(body)
    if not payme.authorized(request.headers.get("Authorization"), current_app.config["PAYME_KEY"]):
        return payme.error(call_id, payme.FORBIDDEN)
    try:
        if too_big:
            raise payme.PaymeError(payme.INVALID_REQUEST)
        call = payme.parse(body)
        answer = payme.result(call.id, handle(call, utcnow()))
        _commit_and_mail()
    except payme.PaymeError as exc:
        _commit_and_mail()  # a transaction cancelled by timeout on the way stays cancelled
        return payme.error(call_id, exc.code, exc.data)
    except Exception:
        _failed("payme")
        return payme.error(call_id, payme.INTERNAL)
    return answer


def _click(action: int, apply):
    config = current_app.config
    callback = None
    if (request.content_length or 0) > MAX_CALLBACK_BYTES:
        return click.answer(None, click.BAD_REQUEST)
    try:
        callback = click.parse(request.form, action)
        click.verify(callback, config["CLICK_SECRET_KEY"], config["CLICK_SERVICE_ID"])
        local_id = apply(callback, utcnow())
        _commit_and_mail()
    except click.ClickError as exc:
        _commit_and_mail()  # a timed-out order cancelled on the way is kept cancelled
        return click.answer(callback, exc.code)
    except Exception:
        _failed("click")
        return click.answer(callback, click.UPDATE_FAILED)
    return click.answer(callback, click.OK, local_id)


@csrf.exempt
@bp.post("/click/prepare")
def click_prepare():
    """Click's Prepare (action 0): check the order and the amount, reserve it."""
    return _click(click.PREPARE, prepare)


@csrf.exempt
@bp.post("/click/complete")
def click_complete():
    """Click's Complete (action 1): pay the reserved order once, or cancel it on Click's error."""
    return _click(click.COMPLETE, complete)
