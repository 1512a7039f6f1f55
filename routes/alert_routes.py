"""Alerts in Telegram on the account page: link the owner's chat with a one-time deep link to
their own bot, unlink it, choose the alerts (outreach/telegram_alerts.py sends them)."""

from __future__ import annotations

from datetime import time

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from extensions import db
from forms.alerts import AlertSettingsForm
from forms.auth import ChangePasswordForm, ProfileForm
from models.owner_alerts import AlertSettings
from outreach.telegram_alerts import owner_bot

bp = Blueprint("alerts", __name__, url_prefix="/account/alerts")

SESSION_CODE = (
    "alert_link_code"  # the owner's own, shown once on their page; only its hash is stored
)


def _form(settings: AlertSettings | None) -> AlertSettingsForm:
    # formdata=None: on another form's POST (the profile's), show what is stored.
    if settings is not None:
        form = AlertSettingsForm(formdata=None, obj=settings)
    else:
        switches = ("notify_customers", "notify_channels", "notify_plan", "notify_summary")
        form = AlertSettingsForm(formdata=None, data=dict.fromkeys(switches, True))
    minute = settings.summary_minute if settings is not None else 20 * 60
    if form.summary_time.data is None:
        form.summary_time.data = time(minute // 60, minute % 60)
    return form


def alerts_context(user, form: AlertSettingsForm | None = None) -> dict:
    """What the account page's alerts section shows (also for auth_routes' account page)."""
    settings = AlertSettings.find(user.id)
    bot = owner_bot(user.id)
    code = session.get(SESSION_CODE)
    link = None
    if bot is not None and settings is not None and code and settings.code_matches(code):
        link = f"https://t.me/{bot.username}?start={code}"
    return {
        "alerts": settings,
        "alerts_bot": bot,
        "alerts_link": link,
        "alerts_form": form or _form(settings),
    }


def _back():
    return redirect(url_for("auth.account", _anchor="alerts"))


@bp.post("/link")
@login_required
def link():
    """A fresh one-time deep link (15 minutes) to the owner's own bot."""
    if owner_bot(current_user.id) is None:
        flash(_("Connect a Telegram bot on the Channels page first."), "warning")
        return _back()
    session[SESSION_CODE] = AlertSettings.for_user(current_user.id).new_code()
    db.session.commit()
    return _back()


@bp.post("/unlink")
@login_required
def unlink():
    """Stop the alerts: forget the owner's Telegram chat."""
    settings = AlertSettings.find(current_user.id)
    if settings is not None:
        settings.unlink()
        db.session.commit()
    session.pop(SESSION_CODE, None)
    flash(_("Telegram alerts are off. You can link them again at any time."), "success")
    return _back()


@bp.post("/settings")
@login_required
def settings():
    """Which alerts the owner gets, and when the daily summary comes."""
    form = AlertSettingsForm()
    if not form.validate_on_submit():
        page = render_template(
            "account.html",
            form=ProfileForm(current_user, obj=current_user),
            password_form=ChangePasswordForm(),
            **alerts_context(current_user, form),
        )
        return page, 400
    row = AlertSettings.for_user(current_user.id)
    for name in ("notify_customers", "notify_channels", "notify_plan", "notify_summary"):
        setattr(row, name, bool(getattr(form, name).data))
    row.summary_minute = form.summary_time.data.hour * 60 + form.summary_time.data.minute
    db.session.commit()
    flash(_("Your alert settings have been saved."), "success")
    return _back()
