"""Admin: pending plan requests (approve or reject), direct plan assignment, and payments."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

import models.billing as billing
from core.tasks import enqueue
from extensions import db
from forms.admin_billing import ApproveRequestForm, AssignPlanForm, RejectRequestForm
from models.base import utcnow
from models.billing import BillingError, Payment, PlanRequest
from models.user import User
from outreach.owner_emails import send_plan_decision
from routes.admin_routes.blueprint import bp, log_action
from routes.helpers import safe_next
from routes.template_helpers import local_dt

PER_PAGE = 30


def _requests_page(view: str, page: int):
    query = select(PlanRequest).options(selectinload(PlanRequest.user))
    if view == "history":
        query = query.where(PlanRequest.status != "pending").order_by(
            PlanRequest.decided_at.desc().nulls_last(), PlanRequest.id.desc()
        )
    else:
        query = query.where(PlanRequest.status == "pending").order_by(PlanRequest.created_at)
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


@bp.get("/plan-requests")
def plan_requests():
    """Pending requests oldest first, with a history tab of decided ones."""
    view = "history" if request.args.get("view") == "history" else "pending"
    page = _requests_page(view, request.args.get("page", 1, type=int))
    now = utcnow()
    ages = {r.id: format_timedelta(r.created_at - now, add_direction=True) for r in page.items}
    pending_count = db.session.scalar(
        select(func.count()).select_from(PlanRequest).where(PlanRequest.status == "pending")
    )
    return render_template(
        "admin/plan_requests.html",
        page=page,
        view=view,
        ages=ages,
        pending_count=pending_count,
    )


def _flash_approved(plan_request: PlanRequest, payment: Payment) -> None:
    if plan_request.coupon_code and not payment.coupon_code:
        msg = _(
            "The coupon %(code)s was used up meanwhile: the list price applies.",
            code=plan_request.coupon_code,
        )
        flash(msg, "warning")
    msg = _(
        "Approved: %(name)s has the plan until %(date)s.",
        name=plan_request.user.full_name,
        date=local_dt(payment.period_end),
    )
    flash(msg, "success")


@bp.post("/plan-requests/<int:request_id>/approve")
def approve_request(request_id: int):
    """Approve (optionally for another plan): plan dates, coupon use and payment in one commit."""
    plan_request = db.get_or_404(PlanRequest, request_id)
    try:
        payment = billing.approve_request(
            plan_request, current_user, ApproveRequestForm().plan.data
        )
    except BillingError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
        return redirect(url_for("admin.plan_requests"))
    log_action(
        "approve_plan_request",
        plan_request.user_id,
        request_id=request_id,
        plan=payment.plan,
        amount_due=payment.amount_due,
        coupon=payment.coupon_code,
        period_end=payment.period_end.isoformat(),
    )
    db.session.commit()
    enqueue(send_plan_decision, request_id)
    _flash_approved(plan_request, payment)
    return redirect(url_for("admin.plan_requests"))


@bp.post("/plan-requests/<int:request_id>/reject")
def reject_request(request_id: int):
    """Reject with a reason the owner will see."""
    plan_request = db.get_or_404(PlanRequest, request_id)
    form = RejectRequestForm()
    try:
        if not form.validate_on_submit():
            raise BillingError(form.reason.errors[0] if form.reason.errors else _("Give a reason."))
        billing.reject_request(plan_request, current_user, form.reason.data)
    except BillingError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
        return redirect(url_for("admin.plan_requests"))
    log_action(
        "reject_plan_request",
        plan_request.user_id,
        request_id=request_id,
        reason=plan_request.reason,
    )
    db.session.commit()
    enqueue(send_plan_decision, request_id)
    flash(_("The request has been rejected."), "info")
    return redirect(url_for("admin.plan_requests"))


@bp.post("/users/<int:user_id>/plan")
def assign_plan(user_id: int):
    """Give or extend a plan directly (paid outside a request, or a goodwill extension)."""
    user = db.session.get(User, user_id)
    if user is None or user.is_admin:
        abort(404)
    form = AssignPlanForm()
    back = safe_next(form.next.data) or url_for("admin.payments")
    if not form.validate_on_submit():
        flash(_("Check the plan and the amount."), "danger")
        return redirect(back)
    payment = billing.grant_plan(user, form.plan.data, current_user, amount_due=form.amount.data)
    log_action(
        "assign_plan",
        user.id,
        plan=payment.plan,
        amount_due=payment.amount_due,
        period_start=payment.period_start.isoformat(),
        period_end=payment.period_end.isoformat(),
    )
    db.session.commit()
    flash(
        _(
            "%(name)s has the plan until %(date)s.",
            name=user.full_name,
            date=local_dt(payment.period_end),
        ),
        "success",
    )
    return redirect(back)


@bp.get("/payments")
def payments():
    """Every payment recorded, newest first, with the total owed."""
    query = (
        select(Payment)
        .options(
            selectinload(Payment.user), selectinload(Payment.admin), selectinload(Payment.order)
        )
        .order_by(Payment.created_at.desc(), Payment.id.desc())
    )
    page = db.paginate(
        query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False
    )
    total = db.session.scalar(select(func.coalesce(func.sum(Payment.amount_due), 0)))
    return render_template("admin/payments.html", page=page, total=total)
