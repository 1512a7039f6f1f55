"""Every model module, imported so SQLAlchemy and Alembic see all tables.

One module per aggregate: user, knowledge_base, channel (Telegram, WhatsApp, Instagram accounts,
the website chat), conversation, ai_config, ai_usage (the daily quota's count), billing, coupon,
announcement, broadcast, marketing, admin_log, stats, owner_answer (the owner's question/answer
pairs and knowledge gaps), canned_reply (the owner's saved replies), inbox (webhook deliveries
not yet stored), owner_alerts (the owner's Telegram alerts: link, switches, every alert sent);
base (column types), search (the message-text indexes) and queries/ (the admin pages' reads).
"""

from models.admin_log import AdminLog
from models.ai_config import AIConfig, PlatformAI, Setting
from models.ai_usage import AIUsage
from models.announcement import Announcement, AnnouncementDismissal
from models.billing import Payment, PlanRequest
from models.broadcast import Broadcast, BroadcastRecipient
from models.canned_reply import CannedReply
from models.channel import InstagramAccount, TelegramBot, WebWidget, WhatsAppAccount
from models.conversation import Conversation, Message
from models.coupon import Coupon
from models.inbox import WebhookDelivery
from models.knowledge_base import KnowledgeBase, KnowledgeChunk
from models.marketing import MarketingMessage
from models.order import Order
from models.owner_alerts import AlertSettings, OwnerAlert
from models.owner_answer import KnowledgeGap, OwnerAnswer
from models.stats import MessageDayStat
from models.user import User

__all__ = [
    "AIConfig",
    "AIUsage",
    "AdminLog",
    "AlertSettings",
    "Announcement",
    "AnnouncementDismissal",
    "Broadcast",
    "BroadcastRecipient",
    "CannedReply",
    "Conversation",
    "Coupon",
    "InstagramAccount",
    "KnowledgeBase",
    "KnowledgeChunk",
    "KnowledgeGap",
    "MarketingMessage",
    "Message",
    "MessageDayStat",
    "Order",
    "OwnerAlert",
    "OwnerAnswer",
    "Payment",
    "PlanRequest",
    "PlatformAI",
    "Setting",
    "TelegramBot",
    "User",
    "WebWidget",
    "WebhookDelivery",
    "WhatsAppAccount",
]
