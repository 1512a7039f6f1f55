"""Who did what to whom, for every admin action."""

from __future__ import annotations

import json
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.formats import format_number, local_dt
from extensions import db
from labels import PLAN_LABELS, PLATFORM_LABELS
from models.base import UTCDateTime, utcnow

# What the admin log shows for each stored id; unknown ids are shown as they are. The log page,
# its action filter and the owner's page all read these.
ACTION_LABELS = {
    "ban_user": _l("Blocked an owner"),
    "unban_user": _l("Unblocked an owner"),
    "email_user": _l("E-mailed an owner"),
    "assign_plan": _l("Assigned a plan"),
    "approve_plan_request": _l("Approved a plan request"),
    "reject_plan_request": _l("Rejected a plan request"),
    "message_customer": _l("Messaged a customer"),
    "message_all_customers": _l("Started a message to all customers"),
    "message_all_customers_result": _l("Message to all customers finished"),
    "create_announcement": _l("Published an announcement"),
    "deactivate_announcement": _l("Took an announcement down"),
    "generate_coupon": _l("Created a coupon"),
    "deactivate_coupon": _l("Deactivated a coupon"),
    "ai_settings": _l("Changed the AI settings"),
    "ai_test": _l("Tested the AI provider"),
    "retry_job": _l("Retried a failed background job"),
    "online_payment": _l("Online payment received"),
    "online_refund": _l("Online payment refunded"),
}
DETAIL_LABELS = {
    "reason": _l("Reason"),
    "previous_reason": _l("Previous reason"),
    "subject": _l("Subject"),
    "status": _l("Status"),
    "error": _l("Error"),
    "platform": _l("Channel"),
    "text": _l("Text"),
    "broadcast_id": _l("Broadcast no."),
    "conversation_id": _l("Conversation"),
    "total": _l("Total"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "outside_window": _l("Outside the 24-hour window"),
    "blocked": _l("Blocked the bot"),
    "interrupted": _l("Interrupted"),
    "finished_at": _l("Finished at"),
    "announcement_id": _l("Announcement"),
    "audience": _l("Audience"),
    "send_email": _l("By e-mail"),
    "code": _l("Code"),
    "percent": _l("Discount"),
    "max_uses": _l("Maximum uses"),
    "expires_at": _l("Valid until"),
    "request_id": _l("Plan request"),
    "job": _l("Job"),
    "task": _l("Task"),
    "plan": _l("Plan"),
    "amount_due": _l("Amount due"),
    "coupon": _l("Coupon"),
    "period_start": _l("Period start"),
    "period_end": _l("Period end"),
    "default_provider": _l("Default provider"),
    "gemini_model": _l("Gemini model"),
    "openai_model": _l("OpenAI model"),
    "allow_owner_keys": _l("Owners may use their own key"),
    "provider": _l("Provider"),
    "model": _l("Model"),
    "order_id": _l("Order no."),
}
# Per-recipient results of a message to all customers, and e-mail statuses.
RESULT_LABELS = {
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "outside_window": _l("Outside the 24-hour window"),
    "blocked": _l("Blocked the bot"),
    "interrupted": _l("Interrupted: not known whether it was sent"),
    "logged": _l("Not sent: no mail server"),
}
VALUE_LABELS = {
    "status": RESULT_LABELS,
    "platform": {
        p: PLATFORM_LABELS[p] for p in ("telegram", "whatsapp", "instagram", "web-widget")
    },
    "plan": PLAN_LABELS,
    "provider": {"payme": "Payme", "click": "Click"},
    "audience": {
        "all": _l("All owners"),
        "trial": _l("Owners on a trial"),
        "paid": _l("Paying owners"),
        "expired": _l("Owners whose trial or plan has ended"),
    },
}
DATE_KEYS = ("finished_at", "expires_at", "period_start", "period_end")
AMOUNT_KEYS = ("amount_due", "list_price", "price_due", "max_uses")


def action_label(action: str):
    return ACTION_LABELS.get(action, action)


def result_label(result: str | None):
    return RESULT_LABELS.get(result, result) if result else ""


def detail_value(key: str, value):
    """A detail's value as the admin reads it: known ids translated, dates local, flags yes/no."""
    if isinstance(value, bool):
        return _l("Yes") if value else _l("No")
    if key in DATE_KEYS and isinstance(value, str):
        try:
            return local_dt(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, str):
        return VALUE_LABELS.get(key, {}).get(value, value)
    if key in AMOUNT_KEYS and isinstance(value, int):
        return format_number(value)  # 2 592 000 (uz, ru), 2,592,000 (en)
    return value


class AdminLog(db.Model):
    __tablename__ = "admin_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    details_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    admin = relationship("User", foreign_keys=[admin_id])
    target = relationship("User", foreign_keys=[target_user_id])

    @property
    def details(self) -> dict:
        return json.loads(self.details_json) if self.details_json else {}

    @classmethod
    def record(
        cls, admin_id: int | None, action: str, target_user_id: int | None = None, **details
    ) -> AdminLog:
        """Add a log entry (the caller commits with the action itself)."""
        entry = cls(
            admin_id=admin_id,
            action=action,
            target_user_id=target_user_id,
            details_json=json.dumps(details, ensure_ascii=False, default=str) if details else None,
        )
        db.session.add(entry)
        return entry

    @property
    def action_label(self):
        return action_label(self.action)

    def detail_rows(self) -> list[tuple[str, object, object]]:
        """(key, translated label, shown value) for each detail but the recipient list."""
        return [
            (key, DETAIL_LABELS.get(key, key), detail_value(key, value))
            for key, value in self.details.items()
            if key != "recipients" and value is not None
        ]

    result_label = staticmethod(result_label)
