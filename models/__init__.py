"""Every model module, imported so SQLAlchemy and Alembic see all tables."""

from models.admin_log import AdminLog
from models.ai_config import AIConfig, PlatformAI, Setting
from models.billing import Payment, PlanRequest
from models.conversation import Conversation, Message
from models.knowledge_base import KnowledgeBase, KnowledgeChunk
from models.marketing import Announcement, AnnouncementDismissal, Coupon, MarketingMessage
from models.messaging import InstagramAccount, TelegramBot, WhatsAppAccount
from models.stats import MessageDayStat
from models.user import User

__all__ = [
    "AIConfig",
    "AdminLog",
    "Announcement",
    "AnnouncementDismissal",
    "Conversation",
    "Coupon",
    "InstagramAccount",
    "KnowledgeBase",
    "KnowledgeChunk",
    "MarketingMessage",
    "Message",
    "MessageDayStat",
    "Payment",
    "PlanRequest",
    "PlatformAI",
    "Setting",
    "TelegramBot",
    "User",
    "WhatsAppAccount",
]
