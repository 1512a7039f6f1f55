"""The owner's saved replies: list, add, edit, delete (inserted into a conversation's reply box)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from extensions import db
from forms.messaging import CannedReplyForm
from models.canned_reply import CANNED_LIMIT, CannedReply
from routes.helpers import get_owned_or_404
from routes.messaging_routes.blueprint import bp


@bp.route("/canned-replies", methods=["GET", "POST"])
@login_required
def canned_replies():
    """The owner's saved replies, and the form that adds one."""
    form = CannedReplyForm()
    if form.validate_on_submit():
        if CannedReply.count_for(current_user.id) >= CANNED_LIMIT:
            flash(_("You can keep at most %(n)s saved replies.", n=CANNED_LIMIT), "warning")
        else:
            CannedReply.create(current_user.id, form.title.data, form.text.data)
            db.session.commit()
            flash(_("Reply saved."), "success")
            return redirect(url_for("messaging.canned_replies"))
    replies = CannedReply.for_user(current_user.id)
    status = 400 if form.errors else 200
    return render_template("canned_replies.html", form=form, replies=replies), status


@bp.route("/canned-replies/<int:reply_id>/edit", methods=["GET", "POST"])
@login_required
def edit_canned_reply(reply_id: int):
    """Change a saved reply's title or text."""
    reply = get_owned_or_404(CannedReply, reply_id)
    form = CannedReplyForm(obj=reply)
    if form.validate_on_submit():
        reply.change(form.title.data, form.text.data)
        db.session.commit()
        flash(_("Reply saved."), "success")
        return redirect(url_for("messaging.canned_replies"))
    status = 400 if form.errors else 200
    return render_template("canned_reply_edit.html", form=form, reply=reply), status


@bp.post("/canned-replies/<int:reply_id>/delete")
@login_required
def delete_canned_reply(reply_id: int):
    """Delete a saved reply."""
    reply = get_owned_or_404(CannedReply, reply_id)
    db.session.delete(reply)
    db.session.commit()
    flash(_("Reply deleted."), "success")
    return redirect(url_for("messaging.canned_replies"))
