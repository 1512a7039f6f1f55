"""WhatsApp and Instagram on the channels page: save the Meta settings, check the stored token
with one Graph call, disconnect."""

from __future__ import annotations

import secrets

from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from channels import CHANNELS
from channels.graph import GraphFailure
from extensions import db
from forms.messaging import InstagramForm, WhatsAppForm
from models.channel import InstagramAccount, WhatsAppAccount
from routes.messaging_routes.blueprint import bp
from routes.messaging_routes.helpers import form_errors


def _save_meta(model, form, id_field: str, label: str):
    """Create or update a WhatsApp/Instagram connection; secrets are required the first time."""
    if not form.validate_on_submit():
        return form_errors(form)
    row = db.session.scalar(select(model).where(model.user_id == current_user.id))
    other = db.session.scalar(select(model).where(getattr(model, id_field) == form[id_field].data))
    if other is not None and other.user_id != current_user.id:
        flash(_("This account is already connected to another BilimBot account."), "danger")
        return redirect(url_for("messaging.bots"))
    if row is None and not (form.access_token.data and form.app_secret.data):
        flash(_("Enter the access token and the app secret."), "danger")
        return redirect(url_for("messaging.bots"))
    row = row or model(user_id=current_user.id, verify_token="bb_" + secrets.token_urlsafe(24))
    # Ids are copied as typed (an empty optional Page id is stored as NULL); secrets go through
    # set_secrets so a blank field keeps the stored one.
    for name, value in form.data.items():
        if name not in ("access_token", "app_secret", "csrf_token") and hasattr(row, name):
            setattr(row, name, value or None)
    row.set_secrets(form.access_token.data, form.app_secret.data)
    db.session.add(row)
    db.session.commit()
    flash(
        _(
            "%(platform)s settings have been saved. "
            "Now add the callback URL and verify token in Meta.",
            platform=label,
        ),
        "success",
    )
    return redirect(url_for("messaging.bots"))


@bp.post("/channels/whatsapp")
@login_required
def connect_whatsapp():
    """Save the WhatsApp Cloud API details (System User token, app secret, ids)."""
    return _save_meta(WhatsAppAccount, WhatsAppForm(), "phone_number_id", "WhatsApp")


@bp.post("/channels/instagram")
@login_required
def connect_instagram():
    """Save the Instagram details (business account id, Page token, app secret)."""
    return _save_meta(InstagramAccount, InstagramForm(), "ig_account_id", "Instagram")


@bp.post("/channels/<platform>/check")
@login_required
def check_channel(platform: str):
    """One Graph API call with the stored token; the answer is shown in words."""
    channel, row = _meta_connection(platform)
    if row is None:
        return redirect(url_for("messaging.bots"))
    label, failure = channel.check(current_app.config, row)
    if failure is None:
        for name, value in channel.identity(label).items():
            setattr(row, name, value or getattr(row, name))
        row.record_check(True, label)
        flash(_("Connection works: %(detail)s", detail=label), "success")
    else:
        # Stored in Meta's words (any language can frame them); the flash explains in ours.
        row.record_check(False, _meta_said(failure))
        flash(_("Connection failed: %(detail)s", detail=_graph_reason(failure)), "danger")
    db.session.commit()
    return redirect(url_for("messaging.bots"))


def _meta_said(failure: GraphFailure) -> str:
    """Meta's own error text with its code, or "" when Meta was not reached."""
    if failure.network:
        return ""
    code = f" ({failure.code}/{failure.subcode})" if failure.subcode else f" ({failure.code})"
    return f"{failure.message}{code if failure.code is not None else ''}"


def _graph_reason(failure: GraphFailure) -> str:
    """Our translated advice for a failed check, quoting Meta's own words."""
    said = _meta_said(failure)
    if failure.network:
        return _("Meta could not be reached; please try again in a minute.")
    if failure.token_invalid:
        return _(
            "the access token has expired or is invalid. Generate a new one, paste it here and "
            "save. Meta said: “%(said)s”",
            said=said,
        )
    if failure.code == 100:
        return _(
            "Meta does not know this id, or the token has no access to it. Check the id and the "
            "token's permissions. Meta said: “%(said)s”",
            said=said,
        )
    return _("Meta said: “%(said)s”", said=said)


@bp.post("/channels/<platform>/disconnect")
@login_required
def disconnect_channel(platform: str):
    """Forget a WhatsApp or Instagram connection (the app's webhook stays in Meta's settings)."""
    _channel, row = _meta_connection(platform)
    if row is not None:
        db.session.delete(row)
        db.session.commit()
        flash(_("%(platform)s has been disconnected.", platform=platform.capitalize()), "success")
    return redirect(url_for("messaging.bots"))


def _meta_connection(platform: str):
    """The WhatsApp or Instagram channel named in the URL (Telegram has its own views) and this
    owner's connection to it; (None, None) for any other name, row None when not connected."""
    channel = CHANNELS.get(platform)
    if channel is None or channel.identity is None:
        return None, None
    row = db.session.scalar(select(channel.model).where(channel.model.user_id == current_user.id))
    return channel, row
