"""Sending the owner's alerts through the owner's own Telegram bot, in the owner's language.

Each alert row is claimed (pending → sending) before it is sent, so two workers never send it
twice; a crash after the claim leaves it "sending", never resent. Telegram trouble is recorded on
the row and never reaches the customer pipeline that noted the alert.
"""

from __future__ import annotations

import json
import logging

from flask import current_app
from flask_babel import force_locale, format_date, format_percent
from flask_babel import gettext as _
from sqlalchemy import select, update

from channels import SendResult
from channels.telegram_client import TelegramClient
from core.crypto import SecretError
from extensions import db
from labels import PLATFORM_LABELS
from models.base import utcnow
from models.channel import TelegramBot
from models.conversation import Conversation, Message
from models.owner_alerts import AlertSettings, OwnerAlert
from models.user import User

log = logging.getLogger(__name__)

ALERT_KINDS = ("human", "gap", "channel", "plan", "summary")
QUOTE_MAX = 300


def owner_bot(user_id: int) -> TelegramBot | None:
    return db.session.scalar(select(TelegramBot).where(TelegramBot.user_id == user_id))


def tell(bot: TelegramBot, chat_id: str, text: str) -> SendResult:
    """Send plain text to the owner's chat through their bot; never raises."""
    try:
        client = TelegramClient.from_config(current_app.config, bot.token, max_retries=1)
    except SecretError as exc:
        return SendResult(False, error=str(exc))
    return client.send_message(chat_id, text)


def claim(alert_id: int) -> OwnerAlert | None:
    """Take a pending row for sending (committed), or None when another worker has it."""
    taken = db.session.execute(
        update(OwnerAlert)
        .where(OwnerAlert.id == alert_id, OwnerAlert.status == "pending")
        .values(status="sending")
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return db.session.get(OwnerAlert, alert_id, populate_existing=True) if taken else None


def finish(alert: OwnerAlert, status: str, error: str | None = None) -> None:
    alert.status, alert.error = status, (error or None) and error[:500]
    alert.sent_at = utcnow() if status == "sent" else None
    db.session.commit()


def send_alert(alert: OwnerAlert) -> None:
    """Send one claimed alert or notice to the owner's chat and record the outcome."""
    user = db.session.get(User, alert.user_id)
    bot = owner_bot(alert.user_id)
    settings = AlertSettings.find(alert.user_id)
    chat_id = alert.chat_id
    if alert.kind in ALERT_KINDS:
        wanted = settings is not None and settings.wants(alert.kind)
        chat_id = settings.chat_id if wanted and settings.bot_id == (bot and bot.bot_id) else None
    if user is None or bot is None or chat_id is None:
        finish(alert, "skipped", "no linked Telegram chat")
        return
    language = user.language
    if alert.kind == "notice" and ":" in (alert.detail or ""):
        language = alert.detail.split(":", 1)[1]  # a stranger's chat: the language they use
    with force_locale(language):
        text = render(alert, user)
    result = tell(bot, chat_id, text)
    alert.chat_id = chat_id
    if result.ok and result.external_ids:
        alert.telegram_message_id = result.external_ids[0]
    finish(alert, "sent" if result.ok else "failed", result.error)


# --- texts -----------------------------------------------------------------------------------
def _quote(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= QUOTE_MAX else text[: QUOTE_MAX - 1] + "…"


def _who(conv: Conversation | None) -> tuple[str, str]:
    if conv is None:
        return "?", ""
    name = conv.customer_name or conv.customer_ref
    return name, str(PLATFORM_LABELS.get(conv.platform, conv.platform))


def _last_question(conv: Conversation | None) -> str:
    if conv is None:
        return ""
    text = db.session.scalar(
        select(Message.text)
        .where(Message.conversation_id == conv.id, Message.direction == "in")
        .where(Message.sender == "customer", Message.text.is_not(None))
        .order_by(Message.id.desc())
        .limit(1)
    )
    return _quote(text)


def reply_hint() -> str:
    return _("Reply to this message to answer the customer; the bot then pauses in that chat.")


def render(alert: OwnerAlert, user: User) -> str:
    """The alert's text in the current (the owner's) locale."""
    conv = db.session.get(Conversation, alert.conversation_id) if alert.conversation_id else None
    name, platform = _who(conv)
    if alert.kind == "human":
        head = _(
            "A customer asks for a person: %(name)s (%(platform)s).", name=name, platform=platform
        )
        return f"🙋 {head}\n\n«{_last_question(conv)}»\n\n{reply_hint()}"
    if alert.kind == "gap":
        head = _("The bot could not answer this question 3 times:")
        who = _("Last asked by %(name)s (%(platform)s).", name=name, platform=platform)
        add = _("Add the answer under “Your answers” in BilimBot so the bot knows it next time.")
        return f"❓ {head}\n«{_quote(alert.detail)}»\n{who}\n\n{reply_hint()}\n{add}"
    if alert.kind == "channel":
        return "⚠️ " + _channel_text(alert.detail or "")
    if alert.kind == "plan":
        return _plan_text(alert.detail or "")
    if alert.kind == "summary":
        return summary_text(json.loads(alert.detail or "{}"))
    return notice_text(alert.detail or "")


def _channel_text(detail: str) -> str:
    platform, problem, words = [*detail.split("|", 2), "", ""][:3]
    name = str(PLATFORM_LABELS.get(platform, platform))
    if problem == "token":
        text = _(
            "%(platform)s stopped working: the platform rejected the access token. Reconnect it "
            "on the Channels page.",
            platform=name,
        )
    elif problem == "window":
        text = _(
            "%(platform)s refused a reply: the customer wrote more than 24 hours ago, so only "
            "the customer can restart the conversation.",
            platform=name,
        )
    else:
        text = _(
            "Telegram could not deliver customers' messages to BilimBot. Check the bot on the "
            "Channels page."
        )
    return f"{text}\n({_quote(words)})" if words else text


def _plan_text(detail: str) -> str:
    state, _sep, ends = detail.partition("|")
    if state == "expired":
        return "⛔ " + _(
            "Your BilimBot plan has ended: the bot no longer answers your customers. Renew it "
            "on the Plan page."
        )
    day = format_date(_parse(ends), "long") if ends else ""
    return "⏳ " + _(
        "Your BilimBot plan ends on %(date)s. Renew it so the bot keeps answering.", date=day
    )


def _parse(value: str):
    from datetime import datetime

    return datetime.fromisoformat(value)


def summary_text(figures: dict) -> str:
    """The daily summary: conversations, answered share, top unanswered questions."""
    lines = [
        "📊 " + _("BilimBot today (%(date)s)", date=format_date(_parse(figures["day"]), "long")),
        _("Conversations: %(count)s", count=figures.get("conversations", 0)),
        _("Customer questions: %(count)s", count=figures.get("questions", 0)),
    ]
    if figures.get("questions"):
        share = format_percent(figures.get("answered", 0) / figures["questions"])
        lines.append(_("Answered by the bot: %(share)s", share=share))
    gaps = figures.get("gaps") or []
    if gaps:
        lines.append("")
        lines.append(_("Questions the bot could not answer:"))
        lines += [f"{i}. {_quote(q)} (×{n})" for i, (q, n) in enumerate(gaps, 1)]
    return "\n".join(lines)


def notice_text(detail: str) -> str:
    """A short answer to something the owner's chat sent (linking, a message that is no reply)."""
    detail = detail.split(":", 1)[0]
    if detail == "linked":
        return "✅ " + _(
            "Alerts are connected. BilimBot will write here when a customer needs you. Reply to "
            "an alert about a customer to answer them."
        )
    if detail == "help":
        return _(
            "To answer a customer, reply to the alert about them (swipe left on it, or choose "
            "Reply). Other messages here are not sent to anyone."
        )
    return _("This link is not valid any more. Open a new one on the account page in BilimBot.")
