"""Webhooks of Telegram, WhatsApp and Instagram: verify, store once, answer 200 at once.

They are exempt from CSRF one by one (below) because the platforms sign them instead.
"""

from __future__ import annotations

import logging

from flask import abort, request
from sqlalchemy import select

from extensions import csrf, db
from models.base import utcnow
from models.messaging import InstagramAccount, TelegramBot, WhatsAppAccount
from routes.messaging_routes import bp
from utils.chat_engine import process_inbound
from utils.crypto_utils import SecretError
from utils.inbound import store_events
from utils.messaging import instagram, telegram, whatsapp
from utils.tasks import enqueue

log = logging.getLogger(__name__)


def _json_body() -> dict:
    """The parsed JSON object, or 400 for anything else (never a 500)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400)
    return data


def _commit_and_enqueue(stored) -> None:
    db.session.commit()
    for item in stored:
        enqueue(process_inbound, item.message_id, item.callback_id)


@csrf.exempt
@bp.post("/telegram/webhook/<int:user_id>")
def telegram_webhook(user_id: int):
    """One Telegram update for one owner's bot, authenticated by the secret token header."""
    bot = db.session.scalar(select(TelegramBot).where(TelegramBot.user_id == user_id))
    header = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
    try:
        valid = bot is not None and telegram.verify_secret(header, bot.secret_token)
    except SecretError:
        valid = False
    if not valid:
        abort(403)
    events = telegram.parse_update(_json_body(), bot.bot_id)
    bot.last_message_at = utcnow() if events else bot.last_message_at
    _commit_and_enqueue(store_events(user_id, bot.bot_id, events))
    return {"ok": True}


def _verify_subscription(model):
    """Meta's GET handshake: echo the challenge when the verify token is one of ours."""
    token = request.args.get("hub.verify_token", "")
    known = token and db.session.scalar(select(model.id).where(model.verify_token == token))
    if request.args.get("hub.mode") != "subscribe" or not known:
        abort(403)
    return request.args.get("hub.challenge", ""), 200, {"Content-Type": "text/plain"}


def _meta_post(model, account_column, ids_of, parse, verify):
    """Shared by WhatsApp and Instagram: route by account id, verify the tenant's signature over
    the raw body before acting, then store every event of the batch."""
    raw = request.get_data(cache=True)
    payload = _json_body()
    ids = ids_of(payload)
    accounts = list(db.session.scalars(select(model).where(account_column.in_(ids)))) if ids else []
    if not accounts:
        log.info("%s webhook for unknown account(s) %s", model.__tablename__, sorted(ids)[:5])
        return {"ok": True}  # acknowledged so Meta stops retrying; nothing of ours to do
    signature = request.headers.get("X-Hub-Signature-256")
    trusted = [a for a in accounts if _signed_by(raw, signature, a, verify)]
    if not trusted:
        abort(403)
    events = parse(payload)
    stored = []
    for account in trusted:
        mine = [e for e in events if e.account_key == account.account_ref]
        if mine:
            account.last_message_at = utcnow()
        stored += store_events(account.user_id, account.account_ref, mine)
    _commit_and_enqueue(stored)
    return {"ok": True}


def _signed_by(raw: bytes, signature: str | None, account, verify) -> bool:
    try:
        return verify(raw, signature, account.app_secret)
    except SecretError:
        return False


@csrf.exempt
@bp.route("/whatsapp/webhook", methods=["GET", "POST"])
def whatsapp_webhook():
    """WhatsApp Cloud API webhook shared by every tenant (routed by phone_number_id)."""
    if request.method == "GET":
        return _verify_subscription(WhatsAppAccount)
    return _meta_post(
        WhatsAppAccount,
        WhatsAppAccount.phone_number_id,
        whatsapp.phone_number_ids,
        whatsapp.parse_payload,
        whatsapp.verify_signature,
    )


@csrf.exempt
@bp.route("/instagram/webhook", methods=["GET", "POST"])
def instagram_webhook():
    """Instagram messaging webhook shared by every tenant (routed by entry.id)."""
    if request.method == "GET":
        return _verify_subscription(InstagramAccount)
    return _meta_post(
        InstagramAccount,
        InstagramAccount.ig_account_id,
        instagram.account_ids,
        instagram.parse_payload,
        instagram.verify_signature,
    )
