"""The owner's own chat with their bot: linking it with a one-time code, and the owner's replies to
alerts, delivered to the customer as the inbox reply is (routes/messaging_routes/conversations.py).

The webhook calls `intercept` before anything is stored as a customer's message: an update from
the linked chat, or a `/start` with a link code, is taken out of the customer pipeline and
recorded as an owner_alerts row (keyed by the update, so a redelivery is a no-op); the network
work runs after the commit (outreach/alert_jobs.py's `deliver`).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from channels.readers import as_dict, as_id, as_str
from extensions import db
from models.conversation import Conversation
from models.owner_alerts import LINK_CODE_PREFIX, AlertSettings, OwnerAlert
from models.user import User
from outreach.telegram_alerts import finish, owner_bot, tell
from pipeline.accounts import Account
from pipeline.send import OutsideWindow, send_to_conversation

log = logging.getLogger(__name__)

LANGUAGES = ("uz", "ru", "en")


def _link_code(text: str | None) -> str | None:
    """The payload of `/start al_…` (a deep link from the account page), else None."""
    parts = (text or "").split()
    if len(parts) != 2 or parts[0].split("@")[0] != "/start":
        return None
    code = parts[1]
    return code if code.startswith(LINK_CODE_PREFIX) and len(code) <= 64 else None


def intercept(bot: Account, update: Any) -> bool:
    """Take an update that is the owner's (or a link attempt) out of the customer pipeline;
    True when it was taken. Database only: what it records is sent after the commit."""
    if not isinstance(update, dict):
        return False
    if not isinstance(update.get("message"), dict):
        return _from_linked_chat(bot, update)  # a button or a block in the owner's chat
    msg = update["message"]
    chat = as_dict(msg.get("chat"))
    chat_id, update_id = as_id(chat.get("id")), as_id(update.get("update_id"))
    if chat_id is None or update_id is None or chat.get("type") not in (None, "private"):
        return False
    text = as_str(msg.get("text"))
    code = _link_code(text)
    if code is None and chat_id != bot.owner_chat:
        return False  # a customer's chat (the webhook's kept account knows the linked one)
    key = f"update:{bot.account_ref}:{update_id}"
    settings = AlertSettings.find(bot.user_id)
    if code is not None:
        language = as_str(as_dict(msg.get("from")).get("language_code")) or ""
        if settings is not None and settings.code_matches(code):
            settings.link(chat_id, bot.account_ref)
            notice = "linked"
        else:  # someone else's, used or expired: links nothing, and says nothing about why
            notice = "bad_code" + (f":{language[:2]}" if language[:2] in LANGUAGES else "")
        OwnerAlert.add(bot.user_id, "notice", key, detail=notice, chat_id=chat_id)
        return True
    if settings is None or settings.chat_id != chat_id or settings.bot_id != bot.account_ref:
        return False
    reply_to = as_id(as_dict(msg.get("reply_to_message")).get("message_id"))
    conv_id = (
        OwnerAlert.conversation_for_reply(bot.user_id, chat_id, reply_to) if reply_to else None
    )
    if text and text.strip() and conv_id is not None:
        OwnerAlert.add(
            bot.user_id, "inbox", key, conversation_id=conv_id, detail=text, chat_id=chat_id
        )
    else:
        OwnerAlert.add(bot.user_id, "notice", key, detail="help", chat_id=chat_id)
    return True


def _from_linked_chat(bot: Account, update: dict) -> bool:
    """A callback or my_chat_member update from the linked chat: nothing for the customers."""
    member = as_dict(update.get("my_chat_member"))
    chat = as_dict(
        member.get("chat")
        or as_dict(as_dict(update.get("callback_query")).get("message")).get("chat")
    )
    chat_id = as_id(chat.get("id"))
    if chat_id is None or chat_id != bot.owner_chat:
        return False
    settings = AlertSettings.find(bot.user_id)
    return (
        settings is not None and settings.chat_id == chat_id and settings.bot_id == bot.account_ref
    )


def deliver_reply(alert: OwnerAlert) -> None:
    """Send the owner's reply to the customer of the alert (claimed), as an inbox reply: owner
    message, bot paused, Meta's 24-hour rule; the outcome goes back to the owner's chat."""
    user = db.session.get(User, alert.user_id)
    conv = db.session.get(Conversation, alert.conversation_id) if alert.conversation_id else None
    bot = owner_bot(alert.user_id)
    if user is None or bot is None or conv is None or conv.user_id != alert.user_id:
        finish(alert, "failed", "conversation or bot gone")
        return
    name = conv.customer_name or conv.customer_ref
    with force_locale(user.language):
        try:
            out = send_to_conversation(conv, (alert.detail or "").strip(), sender="owner")
        except OutsideWindow as exc:
            answer, status, error = str(exc), "refused", "outside the 24-hour window"
        else:
            conv.pause(current_app.config["HUMAN_TAKEOVER_MINUTES"])
            db.session.commit()
            if out.status == "sent":
                answer, status, error = _("Sent to %(name)s.", name=name), "sent", None
            else:
                answer = _("The message could not be sent: %(error)s", error=out.error)
                status, error = "failed", out.error
    result = tell(bot, alert.chat_id, answer)
    if not result.ok:
        log.info("could not tell owner %s how their reply went: %s", user.id, result.error)
    finish(alert, status, error)
