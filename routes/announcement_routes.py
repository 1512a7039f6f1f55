"""Owners close an announcement banner on their dashboard."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from extensions import db
from models.announcement import Announcement, AnnouncementDismissal
from routes.helpers import is_xhr

bp = Blueprint("announcements", __name__, url_prefix="/announcements")


@bp.post("/<int:announcement_id>/dismiss")
@login_required
def dismiss(announcement_id: int):
    """Hide this announcement for the current owner (a second click changes nothing)."""
    if db.session.get(Announcement, announcement_id) is None:
        abort(404)
    try:
        with db.session.begin_nested():
            db.session.add(
                AnnouncementDismissal(announcement_id=announcement_id, user_id=current_user.id)
            )
    except IntegrityError:
        pass  # dismissed already (double click, two tabs)
    db.session.commit()
    if is_xhr():
        return "", 204
    return redirect(url_for("main.dashboard"))
