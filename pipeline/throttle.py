"""Limits on AI calls from the channels: per customer, per owner, and a daily quota on the
platform's key. A flood of messages (one chat typing 25 in a second, an owner posting signed
webhooks in a loop) must not turn into as many paid calls.

The counts come from the database, so every worker of every instance sees the same numbers: the
per-customer and per-owner ones from the bot's replies that an AI provider wrote (read with the
message, pipeline/waiting.py), the daily one from its counter row (the answering worker reads it
at most every few seconds: models.ai_config.kept_reads).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from extensions import db
from models.ai_config import PlatformAI, Setting
from models.ai_usage import AIUsage
from models.base import UTCDateTime, utcnow
from models.conversation import Conversation, Message
from pipeline import replies

CUSTOMER_WINDOW = timedelta(minutes=1)
OWNER_WINDOW = timedelta(hours=1)
AI_PROVIDERS = ("gemini", "openai")
# Shown on the message to the owner and the admin, like the platforms' own errors.
CUSTOMER_LIMITED = "rate limited: more than {n} AI answers to this customer in a minute"
OWNER_LIMITED = "rate limited: more than {n} AI answers for this business in an hour"
QUOTA_REACHED = "the platform AI key's daily quota ({n} answers) is used up: answering offline"


def ai_replies(conv_id, user_id) -> tuple:
    """The AI's replies to this customer in the last minute and for this owner in the last
    hour, as two scalar subqueries (the answering worker reads them with the message:
    pipeline/waiting.py); `conv_id` and `user_id` are values or columns, the windows' starts
    the bound parameters of windows()."""
    minute_ago = bindparam("minute_ago", type_=UTCDateTime)
    hour_ago = bindparam("hour_ago", type_=UTCDateTime)
    reply = aliased(Message)  # `user_id` may be a column of messages in the outer query
    ai = (reply.direction == "out", reply.provider.in_(AI_PROVIDERS))
    return (
        select(func.count())
        .where(reply.conversation_id == conv_id, reply.created_at >= minute_ago, *ai)
        .scalar_subquery(),
        select(func.count())
        .where(reply.user_id == user_id, reply.created_at >= hour_ago, *ai)
        .scalar_subquery(),
    )


def windows(now: datetime) -> dict:
    """The bound parameters of ai_replies()."""
    return {"minute_ago": now - CUSTOMER_WINDOW, "hour_ago": now - OWNER_WINDOW}


def over_limit(
    conv: Conversation, counts: tuple[int, int] | None = None
) -> tuple[str, timedelta] | None:
    """Why the next question of this conversation may not go to the AI now (the reason and its
    window), or None when it may; `counts` as ai_replies() read them, else read now."""
    cfg = current_app.config
    per_customer, per_owner = cfg["AI_CUSTOMER_PER_MINUTE"], cfg["AI_OWNER_PER_HOUR"]
    if not (per_customer or per_owner):
        return None
    if counts is None:
        query = select(*ai_replies(conv.id, conv.user_id))
        counts = db.session.execute(query, windows(utcnow())).one()
    to_customer, for_owner = counts
    if per_customer and to_customer >= per_customer:
        return CUSTOMER_LIMITED.format(n=per_customer), CUSTOMER_WINDOW
    if per_owner and for_owner >= per_owner:
        return OWNER_LIMITED.format(n=per_owner), OWNER_WINDOW
    return None


def notice_due(conv: Conversation, window: timedelta) -> bool:
    """Whether the customer is still to be told to wait: once per window, not per message."""
    told = db.session.scalar(
        select(Message.id)
        .where(
            Message.conversation_id == conv.id,
            Message.direction == "in",
            Message.status == "rate_limited",
            Message.created_at >= utcnow() - window,
        )
        .limit(1)
    )
    return told is None


def please_wait(language: str, script: str) -> str:
    """The one polite reply an over-limit customer gets, in their language."""
    return replies._in(
        language,
        lambda: _(
            "You are sending messages faster than I can answer. Please wait a minute, "
            "then ask your question again."
        ),
        script,
    )


def platform_quota_reached() -> bool:
    """Whether today's (UTC) answers on the platform's key reached PLATFORM_AI_DAILY_QUOTA
    (0: no quota). Answers on an owner's own key do not count. The admin is told once a day."""
    quota = current_app.config["PLATFORM_AI_DAILY_QUOTA"]
    if not quota:
        return False
    today = utcnow().date()
    used = AIUsage.platform_answers_on(today)
    day, source = today.isoformat(), Setting.get("ai.last_error_source") or ""
    if used < quota:
        if source.startswith("quota:") and source != f"quota:{day}":
            PlatformAI.clear_error()  # yesterday's notice: the quota is fresh again
        return False
    if source != f"quota:{day}":
        PlatformAI.record_error("quota", day, QUOTA_REACHED.format(n=quota), "quota")
    return True


def count_platform_answer() -> None:
    """An answer was written on the platform's key (the quota above counts them)."""
    AIUsage.count_platform_answer(utcnow().date())
