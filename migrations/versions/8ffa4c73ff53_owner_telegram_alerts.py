"""The owner's alerts in Telegram

alert_settings: one row per owner (the linked Telegram chat and bot, the hashed one-time link
code and its expiry, the alert switches and the daily summary's minute). owner_alerts: every
alert, notice and owner reply, once per event key, with the Telegram message id a reply refers
to. New tables only.

Revision ID: 8ffa4c73ff53
Revises: 413be867338f
Create Date: 2026-12-01 21:20:00

"""

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "8ffa4c73ff53"
down_revision = "413be867338f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "alert_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(length=32), nullable=True),
        sa.Column("bot_id", sa.String(length=32), nullable=True),
        sa.Column("linked_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("notify_customers", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("notify_channels", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("notify_plan", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("notify_summary", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("summary_minute", sa.Integer(), server_default="1200", nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert_settings") as batch:
        batch.create_index("ix_alert_settings_user_id", ["user_id"], unique=True)
        batch.create_index("ix_alert_settings_code_hash", ["code_hash"])
    op.create_table(
        "owner_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("chat_id", sa.String(length=32), nullable=True),
        sa.Column("telegram_message_id", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "key"),
    )
    with op.batch_alter_table("owner_alerts") as batch:
        batch.create_index("ix_owner_alerts_user_id", ["user_id"])
        batch.create_index("ix_owner_alerts_conversation_id", ["conversation_id"])
        batch.create_index(
            "ix_owner_alerts_reply", ["user_id", "chat_id", "telegram_message_id"]
        )
        batch.create_index("ix_owner_alerts_status_created", ["status", "created_at"])


def downgrade():
    op.drop_table("owner_alerts")
    op.drop_table("alert_settings")
