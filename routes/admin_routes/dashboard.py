"""Admin dashboard: the platform at a glance."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from extensions import db
from models import (
    Conversation,
    InstagramAccount,
    KnowledgeBase,
    Message,
    PlanRequest,
    TelegramBot,
    User,
    WebWidget,
    WhatsAppAccount,
)
from models.base import utcnow
from models.queries.common import day_start, local_today
from routes.admin_routes.blueprint import bp


def _count(stmt) -> int:
    return db.session.scalar(stmt) or 0


def platform_counts() -> dict:
    """Owners by status, knowledge bases, channels, traffic and work waiting for the admin."""
    now = utcnow()
    status = User.status_expression(now)
    by_status = dict(
        db.session.execute(
            select(status, func.count()).where(User.is_admin.is_(False)).group_by(status)
        ).all()
    )
    counts = {
        "owners": {s: by_status.get(s, 0) for s in ("trial", "paid", "expired", "banned")},
        "knowledge_bases": _count(
            select(func.count()).select_from(KnowledgeBase).where(KnowledgeBase.is_active.is_(True))
        ),
        "channels": {
            name: _count(select(func.count()).select_from(model))
            for name, model in (
                ("telegram", TelegramBot),
                ("whatsapp", WhatsAppAccount),
                ("instagram", InstagramAccount),
                ("web-widget", WebWidget),
            )
        },
        "pending_requests": _count(
            select(func.count()).select_from(PlanRequest).where(PlanRequest.status == "pending")
        ),
        "failed_replies": _count(
            select(func.count()).select_from(Message).where(Message.status == "failed")
        ),
        "traffic": {},
    }
    # Calendar days in the platform's time zone (Asia/Tashkent), as on the statistics page:
    # "today" starts at local midnight, "7 days" is today and the six days before it.
    today = local_today()
    for label, days in (("today", 1), ("week", 7), ("month", 30)):
        since = day_start(today, days=1 - days)
        counts["traffic"][label] = {
            "conversations": _count(
                select(func.count())
                .select_from(Conversation)
                .where(Conversation.created_at >= since)
            ),
            "messages": _count(
                select(func.count()).select_from(Message).where(Message.created_at >= since)
            ),
        }
    return counts


@bp.get("/")
def dashboard():
    """Counts of owners, knowledge bases, channels and traffic, with links to each list."""
    return render_template("admin/dashboard.html", counts=platform_counts())
