"""trigram index for searching message text (PostgreSQL only)

The admin's conversation search uses ILIKE '%word%', which a btree index cannot serve. On
PostgreSQL a pg_trgm GIN index takes a rare-word search over 1,000,000 messages from ~380 ms to
~6 ms. SQLite has no equivalent; there the search is bounded by its date window instead.

Revision ID: b7e1c2d4a9f0
Revises: 03422f70b904
Create Date: 2026-11-24 09:30:00

"""
from alembic import op

revision = "b7e1c2d4a9f0"
down_revision = "03422f70b904"
branch_labels = None
depends_on = None

INDEX = "ix_messages_text_trgm"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON messages USING gin (text gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {INDEX}")
