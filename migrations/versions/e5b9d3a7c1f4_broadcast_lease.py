"""A lease on each customer broadcast

The recovery job restarts broadcasts whose chain of jobs was lost, and every worker runs it: the
lease (a token and an expiry, taken with a conditional UPDATE) makes sure only one chain of jobs
sends a broadcast, so the platform's send rate is kept. Only columns are added (no table
rebuild on SQLite).

Revision ID: e5b9d3a7c1f4
Revises: 9224e6af1105
Create Date: 2026-11-24 15:30:00

"""

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "e5b9d3a7c1f4"
down_revision = "9224e6af1105"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("broadcasts", sa.Column("lease_token", sa.String(length=32), nullable=True))
    op.add_column("broadcasts", sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("broadcasts") as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_token")
