"""The channels page: every channel's state, health and connection form."""

from __future__ import annotations

from flask import current_app, render_template
from flask_login import current_user, login_required

from extensions import db
from forms.messaging import (
    InstagramForm,
    TelegramForm,
    TelegramLanguageForm,
    WhatsAppForm,
    WidgetForm,
)
from models.ai_config import AIConfig
from models.channel import channels_for
from routes.messaging_routes.blueprint import bp
from routes.messaging_routes.helpers import webhook_url
from routes.messaging_routes.telegram import telegram_health
from routes.messaging_routes.widget import script_tag


@bp.get("/channels")
@login_required
def bots():
    """The four channels with their state, health and connection forms."""
    found = channels_for(current_user.id)
    cfg = AIConfig.for_user(current_user.id)
    health = telegram_health(found.get("telegram"))
    if health is not None:  # the live webhook state is the check every page then shows
        detail = health.get("unreadable") or health.get("error") or "getWebhookInfo ok"
        found["telegram"].record_check(health["ok"], detail)
    db.session.commit()
    wa, ig, widget = found.get("whatsapp"), found.get("instagram"), found.get("web-widget")
    return render_template(
        "bots.html",
        channels=found,
        telegram_health=health,
        cfg=cfg,
        telegram_form=TelegramForm(default_language=cfg.default_language),
        language_form=TelegramLanguageForm(default_language=cfg.default_language),
        whatsapp_form=WhatsAppForm(obj=wa),
        instagram_form=InstagramForm(obj=ig),
        widget_form=WidgetForm(
            enabled=widget.enabled if widget else True,
            domains="\n".join(widget.allowed_origins) if widget else "",
        ),
        widget_tag=script_tag(widget) if widget else None,
        whatsapp_url=webhook_url("/whatsapp/webhook"),
        instagram_url=webhook_url("/instagram/webhook"),
        has_https=current_app.config["WEBHOOK_BASE_URL"].startswith("https://"),
    )
