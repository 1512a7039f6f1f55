"""The bots page: connect, check and disconnect Telegram, WhatsApp and Instagram."""

from __future__ import annotations

import logging
import secrets

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from channels import CHANNELS, TelegramClient, TelegramError
from channels.graph import GraphFailure
from core.crypto import SecretError
from extensions import db
from forms.messaging import InstagramForm, TelegramForm, TelegramLanguageForm, WhatsAppForm
from models.ai_config import AIConfig
from models.channel import (
    InstagramAccount,
    TelegramBot,
    WhatsAppAccount,
    channels_for,
    token_fingerprint,
)
from routes.messaging_routes import bp

log = logging.getLogger(__name__)
TELEGRAM_UPDATES = ["message", "callback_query", "my_chat_member"]


def _url(path: str) -> str:
    return current_app.config["WEBHOOK_BASE_URL"] + path


@bp.get("/channels")
@login_required
def bots():
    """The three channels with their state, health and connection forms."""
    found = channels_for(current_user.id)
    cfg = AIConfig.for_user(current_user.id)
    health = _telegram_health(found.get("telegram"))
    db.session.commit()
    wa, ig = found.get("whatsapp"), found.get("instagram")
    return render_template(
        "bots.html",
        channels=found,
        telegram_health=health,
        cfg=cfg,
        telegram_form=TelegramForm(default_language=cfg.default_language),
        language_form=TelegramLanguageForm(default_language=cfg.default_language),
        whatsapp_form=WhatsAppForm(obj=wa),
        instagram_form=InstagramForm(obj=ig),
        whatsapp_url=_url("/whatsapp/webhook"),
        instagram_url=_url("/instagram/webhook"),
        has_https=current_app.config["WEBHOOK_BASE_URL"].startswith("https://"),
    )


def _telegram_health(bot: TelegramBot | None) -> dict | None:
    """Pending updates and the last delivery error, from getWebhookInfo (both, when both)."""
    if bot is None:
        return None
    try:
        info = TelegramClient.from_config(current_app.config, bot.token).get_webhook_info()
    except TelegramError as exc:
        return {"ok": False, "unreadable": _telegram_reason(exc)}
    except SecretError:
        return {
            "ok": False,
            "unreadable": _("the saved token cannot be read; connect the bot again"),
        }
    return {
        "ok": not info.get("last_error_message"),
        "pending": info.get("pending_update_count", 0),
        "error": info.get("last_error_message"),
        "url": info.get("url"),
    }


def _telegram_reason(exc: TelegramError) -> str:
    """Our translated words for a Bot API failure, quoting Telegram's own description."""
    if exc.network:
        return _("Telegram could not be reached; please try again in a minute")
    if exc.code in (401, 404):  # Telegram's answers to a wrong or revoked token
        return _("the token is wrong or was revoked; copy it again from @BotFather")
    return _("Telegram answered “%(description)s”", description=exc.description or exc.code or "?")


@bp.post("/channels/telegram")
@login_required
def connect_telegram():
    """Validate the token with getMe, claim it, then set the webhook with a secret."""
    form = TelegramForm()
    if not form.validate_on_submit():
        return _form_errors(form)
    token = form.token.data.strip()
    if _token_holder(token) not in (None, current_user.id):
        flash(_("This bot is already connected to another account."), "danger")
        return redirect(url_for("messaging.bots"))
    client = TelegramClient.from_config(current_app.config, token)
    try:
        me = client.get_me()
    except TelegramError as exc:
        reason = _telegram_reason(exc)
        if not exc.network:
            reason = _("Telegram did not accept this token: %(reason)s", reason=reason)
        flash(reason, "danger")
        return redirect(url_for("messaging.bots"))
    bot, replaced = _claim_bot(token, me)
    if bot is None:
        return redirect(url_for("messaging.bots"))
    AIConfig.for_user(current_user.id).default_language = form.default_language.data
    if replaced:
        _delete_webhook(replaced)
    try:
        client.set_webhook(
            bot.webhook_url, bot.secret_token, TELEGRAM_UPDATES, drop_pending_updates=True
        )
        bot.record_check(True, "setWebhook ok")
        flash(
            _("@%(username)s is connected. Send it a message to try.", username=bot.username),
            "success",
        )
    except TelegramError as exc:
        bot.record_check(False, f"setWebhook: {exc.description or exc.code or 'network'}")
        flash(
            _("The bot was saved, but Telegram refused the webhook: %(reason)s",
              reason=_telegram_reason(exc)),
            "warning",
        )  # fmt: skip
    db.session.commit()
    return redirect(url_for("messaging.bots"))


def _token_holder(token: str) -> int | None:
    fingerprint = token_fingerprint(token)
    return db.session.scalar(
        select(TelegramBot.user_id).where(TelegramBot.token_hash == fingerprint)
    )


def _claim_bot(token: str, me: dict) -> tuple[TelegramBot | None, str | None]:
    """Save the bot (committed, so the unique token wins any race before its webhook is touched).

    Returns the bot and the token of the bot it replaced, or (None, None) with a flash when
    another request took the token (or changed this owner's bot) at the same moment.
    """
    bot = db.session.scalar(
        select(TelegramBot).where(TelegramBot.user_id == current_user.id)
    ) or TelegramBot(user_id=current_user.id)
    replaced = None
    if bot.id is not None and bot.token_hash != token_fingerprint(token):
        try:
            replaced = bot.token
        except SecretError:  # unreadable with today's keys: nothing we could call with it
            replaced = None
    bot.set_token(token)
    bot.bot_id, bot.username = str(me["id"]), me.get("username") or str(me["id"])
    bot.webhook_url = _url(f"/telegram/webhook/{current_user.id}")
    db.session.add(bot)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if _token_holder(token) not in (None, current_user.id):
            flash(_("This bot is already connected to another account."), "danger")
        else:
            flash(_("Your Telegram connection was changed at the same moment. Check it below."),
                  "warning")  # fmt: skip
        return None, None
    return bot, replaced


def _delete_webhook(token: str) -> None:
    """The replaced bot stops delivering to us (its updates would only be refused from now on)."""
    try:
        TelegramClient.from_config(current_app.config, token).delete_webhook()
    except TelegramError as exc:  # a revoked token cannot delete its webhook; forget it anyway
        log.info("deleteWebhook of the replaced bot failed for user %s: %s", current_user.id, exc)


@bp.post("/channels/telegram/language")
@login_required
def telegram_language():
    """The language customers get until they pick one with /start."""
    form = TelegramLanguageForm()
    if form.validate_on_submit():
        AIConfig.for_user(current_user.id).default_language = form.default_language.data
        db.session.commit()
        flash(_("The default language has been saved."), "success")
    return redirect(url_for("messaging.bots"))


@bp.post("/channels/telegram/disconnect")
@login_required
def disconnect_telegram():
    """Delete the webhook at Telegram, then forget the token."""
    bot = db.session.scalar(select(TelegramBot).where(TelegramBot.user_id == current_user.id))
    if bot is not None:
        try:
            TelegramClient.from_config(current_app.config, bot.token).delete_webhook()
        except TelegramError as exc:  # a revoked token cannot delete its webhook; forget it anyway
            log.info("deleteWebhook failed for user %s: %s", current_user.id, exc)
        db.session.delete(bot)
        db.session.commit()
        flash(_("Telegram has been disconnected."), "success")
    return redirect(url_for("messaging.bots"))


def _save_meta(model, form, id_field: str, label: str):
    """Create or update a WhatsApp/Instagram connection; secrets are required the first time."""
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
    form = WhatsAppForm()
    return (
        _save_meta(WhatsAppAccount, form, "phone_number_id", "WhatsApp")
        if form.validate_on_submit()
        else _form_errors(form)
    )


@bp.post("/channels/instagram")
@login_required
def connect_instagram():
    """Save the Instagram details (business account id, Page token, app secret)."""
    form = InstagramForm()
    return (
        _save_meta(InstagramAccount, form, "ig_account_id", "Instagram")
        if form.validate_on_submit()
        else _form_errors(form)
    )


@bp.post("/channels/<platform>/check")
@login_required
def check_channel(platform: str):
    """One Graph API call with the stored token; the answer is shown in words."""
    channel = _meta_channel(platform)
    model = channel.model if channel else None
    row = (
        db.session.scalar(select(model).where(model.user_id == current_user.id)) if model else None
    )
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
    channel = _meta_channel(platform)
    model = channel.model if channel else None
    row = (
        db.session.scalar(select(model).where(model.user_id == current_user.id)) if model else None
    )
    if row is not None:
        db.session.delete(row)
        db.session.commit()
        flash(_("%(platform)s has been disconnected.", platform=platform.capitalize()), "success")
    return redirect(url_for("messaging.bots"))


def _meta_channel(platform: str):
    """The WhatsApp or Instagram channel named in the URL (Telegram has its own views)."""
    channel = CHANNELS.get(platform)
    return channel if channel is not None and channel.identity is not None else None


def _form_errors(form):
    for field, errors in form.errors.items():
        flash(f"{form[field].label.text}: {errors[0]}", "danger")
    return redirect(url_for("messaging.bots"))
