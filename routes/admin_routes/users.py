"""Admin: owners — search and filter, one owner's whole picture, ban/unban, e-mail, message
all of their customers."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.tasks import enqueue
from extensions import db
from forms.admin import BanForm, BroadcastForm, ConfirmForm, EmailUserForm, UserFilterForm
from models.base import utcnow
from models.queries.user_detail import channels_of, user_overview
from models.queries.users import users_page
from models.user import User
from outreach import admin_emails, broadcast
from routes.admin_routes.blueprint import bp, log_action


def _owner_or_404(user_id: int) -> User:
    """An owner by id; admins are not managed from these pages."""
    user = db.session.get(User, user_id)
    if user is None or user.is_admin:
        abort(404)
    return user


def _back(user: User, anchor: str = ""):
    return redirect(url_for("admin.user_detail", user_id=user.id) + anchor)


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@bp.get("/users")
def users():
    """Owners: search by name, e-mail or phone; filter by status and channel; sort; paginate."""
    form = UserFilterForm(formdata=request.args)
    filters = form.filters()
    page, extras = users_page(filters, request.args.get("page", 1, type=int), utcnow())
    args = {k: v for k, v in filters.items() if v}
    return render_template("admin/users.html", form=form, page=page, extras=extras, args=args)


@bp.get("/users/<int:user_id>")
def user_detail(user_id: int):
    """One owner: account, plan, knowledge base, channels, customers, AI settings and log."""
    user = _owner_or_404(user_id)
    broadcast_form = BroadcastForm()
    connected = channels_of(user.id)
    broadcast_form.platform.choices = [
        c for c in broadcast_form.platform.choices if c.value in connected
    ]
    return render_template(
        "admin/user_detail.html",
        o=user_overview(user),
        ban_form=BanForm(),
        confirm_form=ConfirmForm(),
        email_form=EmailUserForm(),
        broadcast_form=broadcast_form,
    )


@bp.post("/users/<int:user_id>/ban")
def ban_user(user_id: int):
    """Block an owner: they cannot log in and their bots stop answering."""
    user = _owner_or_404(user_id)
    form = BanForm()
    if not form.validate_on_submit():
        flash(_form_errors(form) or _("Give a reason."), "danger")
        return _back(user, "#actions")
    user.ban(form.reason.data)
    log_action("ban_user", user.id, reason=user.ban_reason)
    db.session.commit()
    flash(_("%(name)s is blocked.", name=user.full_name), "success")
    return _back(user)


@bp.post("/users/<int:user_id>/unban")
def unban_user(user_id: int):
    """Lift a ban; the owner's status is again trial, paid or expired by their dates."""
    user = _owner_or_404(user_id)
    if ConfirmForm().validate_on_submit() and user.is_banned:
        log_action("unban_user", user.id, previous_reason=user.ban_reason)
        user.unban()
        db.session.commit()
        flash(_("%(name)s is no longer blocked.", name=user.full_name), "success")
    return _back(user)


@bp.post("/users/<int:user_id>/email")
def email_user(user_id: int):
    """Send this owner an e-mail from the admin (recorded with the platform's e-mails)."""
    user = _owner_or_404(user_id)
    form = EmailUserForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
        return _back(user, "#actions")
    result = admin_emails.email_owner(user, form.subject.data.strip(), form.body.data.strip())
    log_action("email_user", user.id, subject=form.subject.data.strip(), status=result.status)
    db.session.commit()
    if result.sent:
        flash(_("The e-mail has been sent to %(email)s.", email=user.email), "success")
    else:
        flash(
            _("The e-mail was not sent: %(error)s", error=result.error or result.status), "danger"
        )
    return _back(user)


@bp.post("/users/<int:user_id>/message-customers")
def message_all_customers(user_id: int):
    """Message every customer of this owner on one platform, in the background."""
    user = _owner_or_404(user_id)
    form = BroadcastForm()
    if not form.validate_on_submit():
        flash(_form_errors(form) or _("Messaging customers is not available."), "danger")
        return _back(user, "#customers")
    if form.platform.data not in channels_of(user.id):
        flash(
            _(
                "This owner has no %(platform)s channel connected.",
                platform=form.platform.data.capitalize(),
            ),
            "warning",
        )
        return _back(user, "#customers")
    text = form.text.data.strip()
    run = broadcast.start_customer_broadcast(current_user.id, user.id, form.platform.data, text)
    log_action(
        "message_all_customers", user.id, broadcast_id=run.id, platform=run.platform, text=text
    )
    db.session.commit()
    enqueue(broadcast.message_all_customers, run.id)
    flash(_("Sending has started. The result will appear in the log below."), "info")
    return _back(user, "#admin-log")
