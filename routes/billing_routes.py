"""Owners ask for a plan (with a coupon), follow or cancel the request, and unsubscribe from
marketing e-mails."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from core.tasks import enqueue
from extensions import csrf, db, limiter
from forms.billing import RequestAccessForm
from models.base import utcnow
from models.billing import (
    ALREADY_PENDING,
    BillingError,
    PlanRequest,
    cancel_request,
    create_plan_request,
    pending_request_of,
    plan_options,
    price_after,
)
from models.coupon import COUPON_PROBLEMS, check_coupon, normalize_code
from models.order import enabled_providers
from outreach.admin_emails import notify_plan_request
from outreach.owner_emails import user_from_unsubscribe_token
from routes.helpers import get_owned_or_404, json_text
from routes.security import allow_form_targets
from routes.template_helpers import format_money

bp = Blueprint("billing", __name__, url_prefix="/billing")

# Coupon codes are checked by the JSON check and by the request page's Apply (and Send) button:
# one budget for both, so codes cannot be guessed through either.
coupon_guesses = limiter.shared_limit("30 per minute", scope="coupon-guesses", methods=["POST"])


def quote(code: str | None) -> dict:
    """What a coupon code does to the three prices, for the page and the JSON check."""
    code = normalize_code(code)
    coupon, problem = check_coupon(code, current_user.id) if code else (None, None)
    percent = coupon.percent if coupon else 0
    prices = {
        o.key: {
            "list": o.price,
            "due": price_after(o.price, percent),
            "list_text": _("%(amount)s soum", amount=format_money(o.price)),
            "due_text": _("%(amount)s soum", amount=format_money(price_after(o.price, percent))),
            # A month's share of what the owner pays: it follows the coupon, not the list price.
            "monthly_text": _(
                "%(amount)s soum a month",
                amount=format_money(round(price_after(o.price, percent) / o.months)),
            ),
        }
        for o in plan_options()
    }
    message = (
        str(COUPON_PROBLEMS[problem])
        if problem
        else _("Coupon %(code)s applied: %(percent)s%% off.", code=coupon.code, percent=percent)
        if coupon
        else ""
    )
    return {
        "code": code,
        "valid": coupon is not None,
        "percent": percent,
        "prices": prices,
        "message": message,
        "problem": problem,
    }


def _submit(form: RequestAccessForm) -> bool:
    """Create the request from a valid form; False (with a message) when a rule refuses it."""
    try:
        plan_request = create_plan_request(
            current_user, form.plan.data, form.coupon.data, form.note.data
        )
        db.session.commit()
        enqueue(notify_plan_request, plan_request.id)
    except BillingError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return False
    except IntegrityError:  # a second tab submitted at the same moment: the index said no
        db.session.rollback()
        flash(str(ALREADY_PENDING), "warning")
        return False
    return True


@bp.route("/request-access", methods=["GET", "POST"])
@login_required
@coupon_guesses
def request_access():
    """Choose a plan, apply a coupon and send the request to the admin."""
    if current_user.is_admin:
        return redirect(url_for("main.dashboard"))
    form = RequestAccessForm()
    if request.method == "GET" and request.args.get("coupon"):
        form.coupon.data = normalize_code(request.args["coupon"])
    pending = pending_request_of(current_user.id)
    offer = quote(form.coupon.data)
    if pending is None and form.validate_on_submit() and form.submit.data and not offer["problem"]:
        if _submit(form):
            flash(_("Your request has been sent. We will contact you soon."), "success")
            return redirect(url_for("main.dashboard"))
        pending = pending_request_of(current_user.id)
    providers = enabled_providers()
    page = render_template(
        "pending_request.html",
        form=form,
        options=plan_options(),
        offer=offer,
        pending=pending,
        providers=providers,
    )
    # The "Pay with …" forms redirect to the provider's checkout page.
    checkout = {"payme": "PAYME_CHECKOUT_URL", "click": "CLICK_PAY_URL"}
    urls = [current_app.config[checkout[p]] for p in providers]
    return allow_form_targets(make_response(page), urls)


@bp.post("/coupon-check")
@login_required
@coupon_guesses
def coupon_check():
    """JSON: whether a coupon applies for this owner and the discounted prices."""
    offer = quote(json_text("code", 60))
    return {key: offer[key] for key in ("code", "valid", "percent", "prices", "message")}


@bp.post("/requests/<int:request_id>/cancel")
@login_required
def cancel(request_id: int):
    """The owner withdraws their own pending request."""
    plan_request = get_owned_or_404(PlanRequest, request_id)
    if plan_request.user_id != current_user.id:
        abort(404)  # admins decide requests in /admin; they do not cancel them for the owner
    try:
        cancel_request(plan_request)
        db.session.commit()
        flash(_("Your request has been cancelled."), "info")
    except BillingError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
    return redirect(url_for("main.dashboard"))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # signed link, RFC 8058 one-click: mail providers POST it without a session
def unsubscribe(token: str):
    """Stop marketing e-mails: GET asks to confirm; POST (or a mail client's one-click) does it."""
    user = user_from_unsubscribe_token(token)
    if user is None:
        abort(404)
    if request.method == "POST":
        if user.marketing_unsubscribed_at is None:
            user.marketing_unsubscribed_at = utcnow()
            db.session.commit()
        return render_template("unsubscribe.html", done=True, token=token)
    return render_template(
        "unsubscribe.html", done=user.marketing_unsubscribed_at is not None, token=token
    )
