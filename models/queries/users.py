"""The admin's users list: search, status and channel filters, and each row's extras."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, exists, func, or_, select

from core.phone import PhoneError, normalize_phone
from extensions import db
from models.channel import CHANNEL_MODELS
from models.conversation import Conversation
from models.knowledge_base import KnowledgeBase
from models.queries.common import contains, paginate
from models.user import User

USERS_PER_PAGE = 50
USER_STATUSES = ("free", "trial", "paid", "expired", "banned")


USER_SORTS = {
    "newest": (User.created_at.desc(), User.id.desc()),
    "name": (func.lower(User.full_name), User.id),
    "trial_end": (User.trial_ends_at.asc(), User.id),
    "plan_expiry": (User.plan_expires_at.asc().nulls_last(), User.id),
}


def user_search_clause(q: str):
    """Name or e-mail containing q, or the phone: exact when q parses as a number, else digits."""
    q = q.strip()[:100]
    conditions = [contains(User.full_name, q), contains(User.email, q)]
    try:
        conditions.append(User.phone == normalize_phone(q))
    except PhoneError:
        digits = re.sub(r"\D", "", q)
        if len(digits) >= 3:
            conditions.append(User.phone.like(f"%{digits}%"))
    return or_(*conditions)


def _status_condition(status: str, now: datetime):
    if status == "free":
        return or_(User.status_clause("trial", now), User.status_clause("expired", now))
    return User.status_clause(status, now)


def _has_channel(platform: str):
    model = CHANNEL_MODELS[platform]
    return exists().where(model.user_id == User.id)


def _has_kb():
    return exists().where(KnowledgeBase.user_id == User.id, KnowledgeBase.is_active.is_(True))


def users_query(
    q: str = "",
    status: str = "",
    platform: str = "",
    sort: str = "newest",
    now=None,
    kb: str = "",
) -> Select:
    """Owners (never admins) filtered by text, status, connected platform and knowledge base."""
    stmt = select(User).where(User.is_admin.is_(False))
    if kb == "yes":
        stmt = stmt.where(_has_kb())
    elif kb == "no":
        stmt = stmt.where(~_has_kb())
    if q.strip():
        stmt = stmt.where(user_search_clause(q))
    if status in USER_STATUSES:
        stmt = stmt.where(_status_condition(status, now))
    if platform in CHANNEL_MODELS:
        stmt = stmt.where(_has_channel(platform))
    elif platform == "none":
        stmt = stmt.where(*[~_has_channel(p) for p in CHANNEL_MODELS])
    return stmt.order_by(*USER_SORTS.get(sort, USER_SORTS["newest"]))


@dataclass
class UserRowExtras:
    """What the users list shows beside each owner, fetched for the whole page at once."""

    channels: dict[int, list[str]] = field(default_factory=dict)
    has_kb: set[int] = field(default_factory=set)
    conversations: dict[int, int] = field(default_factory=dict)


def user_row_extras(user_ids: list[int]) -> UserRowExtras:
    """Channels, knowledge base and customer counts for a page of owners: one query each."""
    extras = UserRowExtras()
    if not user_ids:
        return extras
    found: dict[int, list[str]] = defaultdict(list)
    for platform, model in CHANNEL_MODELS.items():
        for uid in db.session.scalars(select(model.user_id).where(model.user_id.in_(user_ids))):
            found[uid].append(platform)
    extras.channels = dict(found)
    extras.has_kb = set(
        db.session.scalars(
            select(KnowledgeBase.user_id).where(
                KnowledgeBase.user_id.in_(user_ids), KnowledgeBase.is_active.is_(True)
            )
        )
    )
    extras.conversations = dict(
        db.session.execute(
            select(Conversation.user_id, func.count())
            .where(Conversation.user_id.in_(user_ids))
            .group_by(Conversation.user_id)
        ).all()
    )
    return extras


def users_page(filters: dict, page: int, now: datetime):
    pagination = paginate(users_query(now=now, **filters), page, USERS_PER_PAGE)
    return pagination, user_row_extras([u.id for u in pagination.items])


OWNER_ID_MAX_DIGITS = 6  # longer runs of digits are read as (part of) a phone number


def owner_ids_matching(owner: str) -> Select | list[int]:
    """An owner typed as an id, or as the users search takes it: name, e-mail or phone."""
    owner = owner.strip()
    if owner.isascii() and owner.isdigit() and len(owner) <= OWNER_ID_MAX_DIGITS:
        return [int(owner)]
    return select(User.id).where(user_search_clause(owner))
