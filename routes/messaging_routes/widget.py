"""The website chat on the channels page: switch it on or off, list the sites allowed to show
it; the page then shows the one <script> tag to paste into the site."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from extensions import db
from forms.messaging import WidgetForm
from models.channel import WebWidget
from routes.messaging_routes.blueprint import bp
from routes.messaging_routes.helpers import form_errors


def script_tag(widget: WebWidget) -> str:
    """The tag the owner pastes into their site, pointing at our public address."""
    base = current_app.config["WEBHOOK_BASE_URL"] or request.host_url.rstrip("/")
    src = base + url_for("static", filename="js/widget.js")
    return f'<script src="{src}" data-bilimbot="{widget.widget_key}" async></script>'


@bp.post("/channels/website-chat")
@login_required
def save_widget():
    """Save the website chat's switch and sites (its key stays, so the tag keeps working)."""
    form = WidgetForm()
    if not form.validate_on_submit():
        return form_errors(form)
    widget = db.session.scalar(
        select(WebWidget).where(WebWidget.user_id == current_user.id)
    ) or WebWidget(user_id=current_user.id)
    widget.enabled = bool(form.enabled.data)
    widget.allowed_origins = list(form.origins)
    db.session.add(widget)
    db.session.commit()
    if widget.enabled:
        flash(_("The website chat is on. Paste the tag below into your website."), "success")
    else:
        flash(_("The website chat is off."), "info")
    return redirect(url_for("messaging.bots", _anchor="widget-card"))
