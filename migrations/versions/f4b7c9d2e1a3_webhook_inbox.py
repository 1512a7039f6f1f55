"""The webhook inbox (issue 12, ack path): deliveries kept as they came until they are stored

A webhook now verifies the signature, writes the delivery into webhook_deliveries and answers;
the answering processes store its messages in batches (pipeline/inbox.py). Only the primary key
is indexed.

Revision ID: f4b7c9d2e1a3
Revises: e8a4c6f2d9b1
Create Date: 2026-12-02 07:40:00

"""

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "f4b7c9d2e1a3"
down_revision = "e8a4c6f2d9b1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "webhook_deliveries",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("account_ref", sa.String(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )


def downgrade():
    op.drop_table("webhook_deliveries")
