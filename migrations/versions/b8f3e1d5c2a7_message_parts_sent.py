"""Parts of a split reply already delivered

A long reply goes out in parts; when the platform refuses a later part for now (flood control),
the retry sends only the parts still missing. One column with a default of 0.

Revision ID: b8f3e1d5c2a7
Revises: a4d2c9e7b813
Create Date: 2026-12-01 21:35:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b8f3e1d5c2a7"
down_revision = "a4d2c9e7b813"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("parts_sent", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("parts_sent")
