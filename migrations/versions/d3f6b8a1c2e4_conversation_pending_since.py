"""conversations.pending_since: since when the oldest unanswered message waits (issue 12)

Claims take the longest-waiting conversations first; in id order, under a backlog, conversations
that kept getting messages were served again and again while newer ones waited past the
answering limit. Nullable, no default: a conversation pending at the upgrade sorts last once.

Revision ID: d3f6b8a1c2e4
Revises: c7d4e2a9b6f1
Create Date: 2026-12-02 03:20:00

"""

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "d3f6b8a1c2e4"
down_revision = "c7d4e2a9b6f1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("pending_since", UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("pending_since")
