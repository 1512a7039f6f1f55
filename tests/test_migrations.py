"""The migrations build exactly the schema the models describe (no drift, no create_all)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from extensions import db

# Indexes that exist only for PostgreSQL full-text search, outside the model on purpose.
SEARCH_ONLY = {"ix_messages_text_trgm"}


def _not_search_only(name, type_, parent_names) -> bool:
    return not (type_ == "index" and name in SEARCH_ONLY)


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": _not_search_only}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_database_was_built_by_alembic(app):
    with app.app_context(), db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() is not None
