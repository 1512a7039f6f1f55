"""The website chat widget (a fourth channel)

One row per owner: the public key of the script tag, whether it is on, and the sites allowed to
show it. A new table only; its conversations are platform "web-widget" in the existing tables.

Revision ID: 85995c45f96c
Revises: 8ffa4c73ff53
Create Date: 2026-12-01 21:10:00

"""

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "85995c45f96c"
down_revision = "8ffa4c73ff53"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "web_widgets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("widget_key", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("allowed_origins_text", sa.Text(), nullable=False),
        sa.Column("connected_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_check_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_check_ok", sa.Boolean(), nullable=True),
        sa.Column("last_check_detail", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_widgets_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_widgets")),
        sa.UniqueConstraint("widget_key", name=op.f("uq_web_widgets_widget_key")),
    )
    with op.batch_alter_table("web_widgets") as batch:
        batch.create_index(batch.f("ix_web_widgets_user_id"), ["user_id"], unique=True)


def downgrade():
    op.drop_table("web_widgets")
