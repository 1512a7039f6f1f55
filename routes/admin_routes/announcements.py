"""Admin: announcements to owners — a dashboard banner in their language, and an e-mail."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.tasks import enqueue
from extensions import db
from forms.admin import AnnouncementForm, ConfirmForm
from models.announcement import Announcement
from models.base import utcnow
from models.queries.announcements import announcements_page
from outreach.admin_emails import send_announcement_emails
from routes.admin_routes.blueprint import bp, log_action


def _render(form: AnnouncementForm, status: int = 200):
    page, dismissals, authors = announcements_page(request.args.get("page", 1, type=int))
    return render_template(
        "admin/announcements.html",
        form=form,
        page=page,
        dismissals=dismissals,
        authors=authors,
        confirm_form=ConfirmForm(),
    ), status


@bp.get("/announcements")
def announcements():
    """Write an announcement; the history with delivery counts."""
    return _render(AnnouncementForm())


@bp.post("/announcements")
def create_announcement():
    """Publish the banner now and e-mail the audience in the background."""
    form = AnnouncementForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    announcement = Announcement(
        **form.values(), created_by_id=current_user.id, created_at=utcnow(), active=True
    )
    db.session.add(announcement)
    db.session.flush()
    log_action(
        "create_announcement",
        None,
        announcement_id=announcement.id,
        subject=announcement.subject_uz,
        audience=announcement.audience,
        send_email=announcement.send_email,
    )
    db.session.commit()
    if announcement.send_email:
        enqueue(send_announcement_emails, announcement.id)
    flash(_("The announcement is published."), "success")
    return redirect(url_for("admin.announcements"))


@bp.post("/announcements/<int:announcement_id>/deactivate")
def deactivate_announcement(announcement_id: int):
    """Take the banner down (e-mails already sent stay sent)."""
    announcement = db.session.get(Announcement, announcement_id)
    if announcement is None:
        abort(404)
    if ConfirmForm().validate_on_submit() and announcement.active:
        announcement.active = False
        log_action(
            "deactivate_announcement",
            None,
            announcement_id=announcement.id,
            subject=announcement.subject_uz,
        )
        db.session.commit()
        flash(_("The announcement is no longer shown."), "info")
    return redirect(url_for("admin.announcements"))
