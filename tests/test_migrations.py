"""The migrations build exactly the schema the models describe (no drift, no create_all)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from extensions import db
from models.search import include_name


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_database_was_built_by_alembic(app):
    with app.app_context(), db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() is not None
