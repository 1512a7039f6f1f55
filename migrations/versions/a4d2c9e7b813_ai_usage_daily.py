"""Answers on the platform's AI key per day (the daily quota's counter)

One row per UTC day. Before this, the quota counted the day's stored replies before every
answer, a scan that grew with the day's traffic. A new table only; the current day starts
counting from zero when this is applied.

Revision ID: a4d2c9e7b813
Revises: 161e5fd05a2e
Create Date: 2026-12-01 21:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a4d2c9e7b813"
down_revision = "161e5fd05a2e"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ai_usage_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("platform_answers", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("day"),
    )


def downgrade():
    op.drop_table("ai_usage_daily")
