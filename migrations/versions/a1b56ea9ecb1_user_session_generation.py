"""Revocable sessions: a per-user session generation

Every session id and remember-me cookie carries a keyed digest of the password hash and of this
counter; logging out, "log out on other devices" and a ban bump it, so copied cookies stop
working at once. Only a column is added.

Revision ID: a1b56ea9ecb1
Revises: fc389035c950
Create Date: 2026-12-01 19:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a1b56ea9ecb1"
down_revision = "fc389035c950"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "users",
        sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_generation")
