"""Owner's question/answer pairs and knowledge gaps

The owner's corrections of the bot (and pairs added by hand) are kept per owner, apart from the
knowledge-base file, so replacing the file keeps them. Questions the bot could not answer are
counted per owner, grouped by their normalised content words. Two new tables only.

Revision ID: 3fffc9014d5b
Revises: a1b56ea9ecb1
Create Date: 2026-12-01 19:40:00

"""

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "3fffc9014d5b"
down_revision = "a1b56ea9ecb1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "owner_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_owner_answers_user_id"), "owner_answers", ["user_id"], unique=False)
    op.create_table(
        "knowledge_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("channels", sa.String(length=64), nullable=False),
        sa.Column("first_asked_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_asked_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["answer_id"], ["owner_answers.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "key"),
    )
    op.create_index(op.f("ix_knowledge_gaps_user_id"), "knowledge_gaps", ["user_id"], unique=False)
    op.create_index(
        "ix_knowledge_gaps_user_open",
        "knowledge_gaps",
        ["user_id", "resolved_at", "last_asked_at"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_knowledge_gaps_user_open", table_name="knowledge_gaps")
    op.drop_index(op.f("ix_knowledge_gaps_user_id"), table_name="knowledge_gaps")
    op.drop_table("knowledge_gaps")
    op.drop_index(op.f("ix_owner_answers_user_id"), table_name="owner_answers")
    op.drop_table("owner_answers")
