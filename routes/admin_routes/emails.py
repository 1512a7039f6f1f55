"""Admin: every e-mail sent to owners (marketing, reminders, decisions), filterable."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from extensions import db
from models.marketing import MarketingMessage
from routes.admin_routes.blueprint import bp

PER_PAGE = 50
STATUS_LABELS = {"sent": _l("Sent"), "logged": _l("Logged only"), "failed": _l("Failed")}
KIND_LABELS = {
    "trial_ended": _l("Trial ended offer"),
    "plan_reminder": _l("Plan expiry reminder"),
    "plan_approved": _l("Request approved"),
    "plan_rejected": _l("Request rejected"),
    "plan_paid": _l("Online payment received"),
    "welcome": _l("Welcome at registration"),
    "announcement": _l("Announcement"),
    "admin_email": _l("Message from the admin"),
}


@bp.get("/e-mails")
def marketing():
    """E-mails to owners, newest first, filtered by status and kind."""
    status = request.args.get("status", "")
    kind = request.args.get("kind", "")
    query = select(MarketingMessage).options(selectinload(MarketingMessage.user))
    if status in STATUS_LABELS:
        query = query.where(MarketingMessage.status == status)
    if kind:
        query = query.where(MarketingMessage.kind == kind)
    query = query.order_by(MarketingMessage.created_at.desc(), MarketingMessage.id.desc())
    page = db.paginate(
        query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False
    )
    counts = dict(
        db.session.execute(
            select(MarketingMessage.status, func.count()).group_by(MarketingMessage.status)
        ).all()
    )
    kinds = sorted(
        set(KIND_LABELS) | set(db.session.scalars(select(MarketingMessage.kind).distinct()))
    )
    return render_template(
        "admin/emails.html",
        page=page,
        status=status,
        kind=kind,
        counts=counts,
        kinds=kinds,
        status_names=STATUS_LABELS,
        kind_names=KIND_LABELS,
    )
