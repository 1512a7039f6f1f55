"""The database built from the real migrations, for tests and benchmarks."""

from __future__ import annotations

from pathlib import Path

from extensions import db
from models.search import SQLITE_FTS_TABLE


def rebuild_database() -> None:
    """Drop every table and build the schema again with the real migrations (tests, benchmarks).

    PostgreSQL drops the whole schema, so indexes and extensions made by migrations go too;
    SQLite drops the tables, the message search index first.
    """
    from flask_migrate import upgrade
    from sqlalchemy import text

    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        with engine.begin() as conn:  # the search index the models do not know (and its triggers)
            conn.execute(text(f"DROP TABLE IF EXISTS {SQLITE_FTS_TABLE}"))
        db.drop_all()
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
