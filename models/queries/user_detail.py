"""One owner's admin page: plan history, knowledge base, channels, customers, AI, log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import defer, selectinload

from extensions import db
from models.admin_log import AdminLog
from models.ai_config import AIConfig, PlatformAI
from models.billing import Payment, PlanRequest
from models.channel import CHANNEL_MODELS
from models.conversation import Conversation
from models.knowledge_base import KnowledgeBase
from models.marketing import MarketingMessage
from models.user import User

KB_PREVIEW_CHARS = 2000


@dataclass
class CustomerSummary:
    platform: str
    conversations: int
    messages: int
    last_message_at: datetime | None


@dataclass
class UserOverview:
    """Everything the admin's user page shows about one owner."""

    user: User
    plan_requests: list[PlanRequest]
    payments: list[Payment]
    kb: KnowledgeBase | None
    kb_preview: str
    kb_uploads: list[KnowledgeBase]
    channels: dict[str, object]
    customers: list[CustomerSummary]
    latest_conversations: list[Conversation]
    ai_config: AIConfig | None
    ai_provider: str
    ai_model: str
    emails: list[MarketingMessage]
    logs: list[AdminLog]


def _kb_preview(kb: KnowledgeBase | None) -> str:
    # Only the first characters travel from the database: a KB's text can be megabytes.
    if kb is None:
        return ""
    return (
        db.session.scalar(
            select(func.substr(KnowledgeBase.text, 1, KB_PREVIEW_CHARS)).where(
                KnowledgeBase.id == kb.id
            )
        )
        or ""
    )


def customer_summary(user_id: int) -> list[CustomerSummary]:
    rows = db.session.execute(
        select(
            Conversation.platform,
            func.count(),
            func.coalesce(func.sum(Conversation.message_count), 0),
            func.max(Conversation.last_message_at),
        )
        .where(Conversation.user_id == user_id)
        .group_by(Conversation.platform)
    ).all()
    return [CustomerSummary(*row) for row in sorted(rows, key=lambda r: r[0])]


def channels_of(user_id: int) -> dict[str, object]:
    found = {}
    for platform, model in CHANNEL_MODELS.items():
        row = db.session.scalar(select(model).where(model.user_id == user_id))
        if row is not None:
            found[platform] = row
    return found


def user_overview(user: User) -> UserOverview:
    """The owner's plan history, knowledge base, channels, customers, AI settings and log."""
    no_text = defer(KnowledgeBase.text)
    kb = db.session.scalar(
        select(KnowledgeBase)
        .options(no_text)
        .where(KnowledgeBase.user_id == user.id, KnowledgeBase.is_active.is_(True))
    )
    uploads = db.session.scalars(
        select(KnowledgeBase)
        .options(no_text)
        .where(KnowledgeBase.user_id == user.id)
        .order_by(KnowledgeBase.uploaded_at.desc(), KnowledgeBase.id.desc())
        .limit(10)
    ).all()
    ai_config = db.session.scalar(select(AIConfig).where(AIConfig.user_id == user.id))
    provider, model = ai_choice(ai_config)
    return UserOverview(
        user=user,
        plan_requests=db.session.scalars(
            select(PlanRequest)
            .where(PlanRequest.user_id == user.id)
            .order_by(PlanRequest.created_at.desc(), PlanRequest.id.desc())
            .limit(20)
        ).all(),
        payments=db.session.scalars(
            select(Payment)
            .options(selectinload(Payment.user), selectinload(Payment.admin))
            .where(Payment.user_id == user.id)
            .order_by(Payment.created_at.desc(), Payment.id.desc())
            .limit(20)
        ).all(),
        kb=kb,
        kb_preview=_kb_preview(kb),
        kb_uploads=uploads,
        channels=channels_of(user.id),
        customers=customer_summary(user.id),
        latest_conversations=db.session.scalars(
            select(Conversation)
            .where(Conversation.user_id == user.id)
            .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
            .limit(10)
        ).all(),
        ai_config=ai_config,
        ai_provider=provider,
        ai_model=model,
        emails=db.session.scalars(
            select(MarketingMessage)
            .where(MarketingMessage.user_id == user.id)
            .order_by(MarketingMessage.created_at.desc(), MarketingMessage.id.desc())
            .limit(20)
        ).all(),
        logs=db.session.scalars(
            select(AdminLog)
            .options(selectinload(AdminLog.admin))
            .where(AdminLog.target_user_id == user.id)
            .order_by(AdminLog.created_at.desc(), AdminLog.id.desc())
            .limit(50)
        ).all(),
    )


def ai_choice(ai_config: AIConfig | None) -> tuple[str, str]:
    """Which provider and model answer this owner's customers (their own key wins)."""
    if ai_config is not None and ai_config.has_own_key and PlatformAI.owner_keys_allowed():
        return "openai", ai_config.openai_model or PlatformAI.openai_model()
    provider = PlatformAI.default_provider()
    model = PlatformAI.openai_model() if provider == "openai" else PlatformAI.gemini_model()
    return provider, model
