"""The admin log page: filters by action, admin and target owner."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from extensions import db
from models.admin_log import AdminLog
from models.queries.common import paginate
from models.queries.users import owner_ids_matching
from models.user import User

LOGS_PER_PAGE = 50


def log_query(action: str = "", admin_id: int | None = None, target: str = "") -> Select:
    stmt = select(AdminLog).options(selectinload(AdminLog.admin), selectinload(AdminLog.target))
    if action:
        stmt = stmt.where(AdminLog.action == action)
    if admin_id:
        stmt = stmt.where(AdminLog.admin_id == admin_id)
    if target := target.strip():
        if target.isascii() and target.isdigit() and len(target) <= 18:
            stmt = stmt.where(AdminLog.target_user_id == int(target))
        else:
            stmt = stmt.where(AdminLog.target_user_id.in_(owner_ids_matching(target)))
    return stmt.order_by(AdminLog.created_at.desc(), AdminLog.id.desc())


def log_page(filters: dict, page: int):
    return paginate(log_query(**filters), page, LOGS_PER_PAGE)


def log_choices() -> tuple[list[str], list[User]]:
    """Actions that occur in the log, and the admins."""
    actions = sorted(db.session.scalars(select(AdminLog.action).distinct()))
    admins = db.session.scalars(
        select(User).where(User.is_admin.is_(True)).order_by(User.full_name)
    ).all()
    return actions, list(admins)
