"""Telegram on the channels page: its health, connect (getMe, claim, setWebhook), default
language, disconnect."""

from __future__ import annotations

import logging

from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from channels import TelegramClient, TelegramError
from core.crypto import SecretError
from extensions import db
from forms.messaging import TelegramForm, TelegramLanguageForm
from models.ai_config import AIConfig
from models.channel import TelegramBot, token_fingerprint
from routes.messaging_routes.blueprint import bp
from routes.messaging_routes.helpers import form_errors, webhook_url

log = logging.getLogger(__name__)
TELEGRAM_UPDATES = ["message", "callback_query", "my_chat_member"]


def telegram_health(bot: TelegramBot | None) -> dict | None:
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
        return form_errors(form)
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
    bot.webhook_url = webhook_url(f"/telegram/webhook/{current_user.id}")
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
