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


def test_sqlite_table_rebuilds_keep_the_rows_of_child_tables(tmp_path):
    """c4e8a1f2b6d3 rebuilds `conversations` on SQLite (copy, drop, rename): with foreign keys
    on, the drop cascaded into `messages` and deleted every message of every customer."""
    from pathlib import Path

    from flask_migrate import upgrade
    from sqlalchemy import MetaData, Table, func, insert, select

    from config import TestingConfig
    from main import create_app
    from models.base import utcnow
    from models.conversation import Conversation, Message

    class OldDatabase(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'old.db'}"

    migrations = str(Path(__file__).resolve().parents[2] / "migrations")
    app = create_app(OldDatabase)
    with app.app_context():
        upgrade(directory=migrations, revision="5d2a9c1e7b34")
        # The rows as that revision knew them (today's models have columns it has not).
        old = MetaData()
        users = Table("users", old, autoload_with=db.engine)
        now = utcnow()
        owner_id = db.session.execute(
            insert(users).values(
                full_name="Old Owner", email="old@example.uz", phone="+998901234567",
                password_hash="x", language="uz", is_admin=False, created_at=now,
                trial_ends_at=now,
            )
        ).inserted_primary_key[0]  # fmt: skip
        conversations = Table("conversations", old, autoload_with=db.engine)
        messages = Table("messages", old, autoload_with=db.engine)
        now = utcnow()
        conv_id = db.session.execute(
            insert(conversations).values(
                user_id=owner_id, platform="telegram", account_ref="42", customer_ref="1001",
                customer_name="Mijoz", language_chosen=False, created_at=now,
                last_message_at=now, message_count=3, failed_count=0,
            )
        ).inserted_primary_key[0]  # fmt: skip
        for n in range(3):
            db.session.execute(
                insert(messages).values(
                    conversation_id=conv_id, user_id=owner_id, platform="telegram",
                    account_ref="42", external_id=f"u{n}", direction="in", sender="customer",
                    kind="text", text=f"Savol {n}", status="received", created_at=now,
                )
            )  # fmt: skip
        db.session.commit()
        db.session.remove()
        upgrade(directory=migrations)
        assert db.session.scalar(select(func.count()).select_from(Message)) == 3
        assert db.session.scalar(select(func.count()).select_from(Conversation)) == 1
        with db.engine.connect() as conn:  # foreign keys are enforced again afterwards
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
