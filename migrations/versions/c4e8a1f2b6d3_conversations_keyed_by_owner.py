"""Conversations are keyed by owner too

A bot token, WhatsApp number or Instagram account can move from one owner to another (the first
disconnects, the second connects). The conversation key (platform, account, customer) ignored
the owner, so the new owner's customers were filed into the old owner's conversations. The key
now starts with the owner.

Revision ID: c4e8a1f2b6d3
Revises: 5d2a9c1e7b34
Create Date: 2026-11-24 15:00:00

"""
from alembic import op

revision = "c4e8a1f2b6d3"
down_revision = "5d2a9c1e7b34"
branch_labels = None
depends_on = None

OLD = "uq_conversations_platform_account_ref_customer_ref"
NEW = "uq_conversations_user_id_platform_account_ref_customer_ref"


def upgrade():
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.drop_constraint(OLD, type_="unique")
        batch_op.create_unique_constraint(
            NEW, ["user_id", "platform", "account_ref", "customer_ref"]
        )


def downgrade():
    # Fails if two owners now hold a conversation with the same customer of the same account.
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.drop_constraint(NEW, type_="unique")
        batch_op.create_unique_constraint(OLD, ["platform", "account_ref", "customer_ref"])
