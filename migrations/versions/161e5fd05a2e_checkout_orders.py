"""Self-serve checkout orders (Payme, Click)

One row per checkout: owner, plan, coupon, amount in tiyin, provider, state, the provider's
transaction id (unique per provider) and times. A new table only.

Revision ID: 161e5fd05a2e
Revises: 3fffc9014d5b
Create Date: 2026-12-01 19:40:00

"""

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "161e5fd05a2e"
down_revision = "3fffc9014d5b"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("plan", sa.String(length=16), nullable=False),
        sa.Column("list_price", sa.Integer(), nullable=False),
        sa.Column("coupon_id", sa.Integer(), nullable=True),
        sa.Column("coupon_code", sa.String(length=40), nullable=True),
        sa.Column("discount_percent", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("provider_txn_id", sa.String(length=64), nullable=True),
        sa.Column("provider_time", sa.BigInteger(), nullable=True),
        sa.Column("cancel_reason", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("paid_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["coupon_id"], ["coupons.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("orders") as batch:
        batch.create_index("ix_orders_user_id", ["user_id"])
        batch.create_index("ix_orders_provider", ["provider"])
        batch.create_index("ix_orders_state", ["state"])
        batch.create_index("ix_orders_created_at", ["created_at"])
        batch.create_index("ix_orders_started_at", ["started_at"])
        batch.create_index("uq_orders_provider_txn", ["provider", "provider_txn_id"], unique=True)


def downgrade():
    op.drop_table("orders")
