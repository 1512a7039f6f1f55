"""The admin blueprint, guarded once for every page, and the admin log helper its views use."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_login import current_user

from models.admin_log import AdminLog

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def require_admin():
    """Anonymous → login page; a logged-in owner → 403."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not current_user.is_admin:
        abort(403)
    return None


@bp.context_processor
def admin_menu_counts() -> dict:
    """Counts the admin menu shows as badges (plan requests waiting for a decision)."""
    from sqlalchemy import func, select

    from extensions import db
    from models.billing import PlanRequest

    pending = db.session.scalar(
        select(func.count()).select_from(PlanRequest).where(PlanRequest.status == "pending")
    )
    return {"menu_badges": {"admin.plan_requests": pending or 0}}


def log_action(action: str, target_user_id: int | None = None, **details) -> None:
    """Write the current admin's action to the admin log (committed with the action)."""
    AdminLog.record(current_user.id, action, target_user_id, **details)
    current_app.logger.info("admin %s: %s target=%s", current_user.id, action, target_user_id)
