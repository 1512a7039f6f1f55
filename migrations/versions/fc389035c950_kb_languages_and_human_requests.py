"""Knowledge-base main languages and customers' requests for a person

A knowledge base stores its main languages (detected once per upload; rows from before are
detected when first needed), so a question can be translated into them before retrieval. A
conversation whose customer asked for a person is flagged for the owner. Only nullable columns
and an index are added.

Revision ID: fc389035c950
Revises: f1a2b3c4d5e6
Create Date: 2026-12-01 19:30:00

"""

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "fc389035c950"
down_revision = "f1a2b3c4d5e6"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("knowledge_bases", sa.Column("languages", sa.String(length=16), nullable=True))
    op.add_column(
        "conversations", sa.Column("needs_human_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.create_index(
        op.f("ix_conversations_needs_human_at"), "conversations", ["needs_human_at"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_conversations_needs_human_at"), table_name="conversations")
    op.drop_column("conversations", "needs_human_at")
    op.drop_column("knowledge_bases", "languages")
