"""Voice notes and photos read by the AI

An inbound message keeps what its media is (type, the platform's file id, media id or
attachment URL, content type, length) so the worker can fetch it, and the transcript or
description it was answered from, shown to the owner and the admin. Only nullable columns.

Revision ID: d960bfc33ddb
Revises: b8f3e1d5c2a7
Create Date: 2026-12-01 21:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d960bfc33ddb"
down_revision = "b8f3e1d5c2a7"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN: SQLite adds nullable columns in place (no table rebuild).
    op.add_column("messages", sa.Column("media_type", sa.String(length=16), nullable=True))
    op.add_column("messages", sa.Column("media_ref", sa.String(length=2048), nullable=True))
    op.add_column("messages", sa.Column("media_mime", sa.String(length=64), nullable=True))
    op.add_column("messages", sa.Column("media_duration", sa.Integer(), nullable=True))
    op.add_column("messages", sa.Column("transcript", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("transcript")
        batch.drop_column("media_duration")
        batch.drop_column("media_mime")
        batch.drop_column("media_ref")
        batch.drop_column("media_type")
