"""Announcements: the audience an announcement is for, an owner's banners, the history page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, func, select

from extensions import db
from models.announcement import Announcement, AnnouncementDismissal
from models.queries.common import paginate
from models.user import User


def audience_clause(audience: str, now: datetime):
    """Owners an announcement is for: never admins or banned owners."""
    base = [User.is_admin.is_(False), User.banned_at.is_(None)]
    if audience in ("trial", "paid", "expired"):
        base.append(User.status_clause(audience, now))
    return and_(*base)


def audience_user_ids(audience: str, now: datetime) -> list[int]:
    return list(
        db.session.scalars(select(User.id).where(audience_clause(audience, now)).order_by(User.id))
    )


def announcements_for(user) -> list[Announcement]:
    """Active announcements for this owner's status that they have not dismissed."""
    if not getattr(user, "is_authenticated", False) or user.is_admin:
        return []
    dismissed = exists().where(
        AnnouncementDismissal.announcement_id == Announcement.id,
        AnnouncementDismissal.user_id == user.id,
    )
    return list(
        db.session.scalars(
            select(Announcement)
            .where(
                Announcement.active.is_(True),
                Announcement.audience.in_(("all", user.status)),
                ~dismissed,
            )
            .order_by(Announcement.created_at.desc(), Announcement.id.desc())
            .limit(20)
        )
    )


def announcements_page(page: int):
    """Announcement history with dismissal counts for the page."""
    pagination = paginate(
        select(Announcement).order_by(Announcement.created_at.desc(), Announcement.id.desc()),
        page,
        20,
    )
    ids = [a.id for a in pagination.items]
    dismissals = (
        dict(
            db.session.execute(
                select(AnnouncementDismissal.announcement_id, func.count())
                .where(AnnouncementDismissal.announcement_id.in_(ids))
                .group_by(AnnouncementDismissal.announcement_id)
            ).all()
        )
        if ids
        else {}
    )
    authors = (
        {
            u.id: u
            for u in db.session.scalars(
                select(User).where(User.id.in_({a.created_by_id for a in pagination.items}))
            )
        }
        if ids
        else {}
    )
    return pagination, dismissals, authors
