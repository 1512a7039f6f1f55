"""Drop three indexes that others already cover (issue 12: the webhook's write cost)

ix_messages_user_id and ix_conversations_user_id are prefixes of ix_messages_user_created and of
the conversations' unique key (user_id, platform, account_ref, customer_ref); ix_messages_platform
is the prefix of the messages' unique key (platform, account_ref, external_id). Every webhook
inserts a message and updates its conversation, which writes every index of both tables.

Revision ID: c7d4e2a9b6f1
Revises: 85995c45f96c
Create Date: 2026-12-02 01:20:00

"""

from alembic import op

revision = "c7d4e2a9b6f1"
down_revision = "85995c45f96c"
branch_labels = None
depends_on = None

DROPPED = (
    ("ix_messages_user_id", "messages", "user_id"),
    ("ix_messages_platform", "messages", "platform"),
    ("ix_conversations_user_id", "conversations", "user_id"),
)


def upgrade():
    for name, table, _column in DROPPED:
        op.drop_index(name, table_name=table)


def downgrade():
    for name, table, column in DROPPED:
        op.create_index(name, table, [column], unique=False)
