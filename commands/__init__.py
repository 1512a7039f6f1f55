"""`flask` CLI commands: the same jobs the scheduler runs, plus set-up helpers."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select

from commands.demo import seed_demo
from extensions import db
from models.base import utcnow
from models.search import SQLITE_FTS_TABLE
from models.user import User
from scheduler import marketing_cli, messages_cli, stats_cli


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


@click.command("ensure-admin")
def ensure_admin() -> None:
    """Create the admin account once (ADMIN_EMAIL/ADMIN_PASSWORD, or a generated password)."""
    email = current_app.config["ADMIN_EMAIL"].strip().lower()
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        click.echo(f"Admin account {email} exists.")
        return
    password = current_app.config["ADMIN_PASSWORD"] or secrets.token_urlsafe(12)
    now = utcnow()
    admin = User(
        full_name="Admin",
        email=email,
        phone=current_app.config["ADMIN_PHONE"],
        language="uz",
        is_admin=True,
        created_at=now,
        trial_ends_at=now,
    )
    admin.set_password(password)
    db.session.add(admin)
    db.session.commit()
    if current_app.config["ADMIN_PASSWORD"]:
        click.echo(f"Admin account {email} created with ADMIN_PASSWORD.")
    else:
        # Printed once, never stored in plain text: the operator copies it now.
        click.echo(f"Admin account {email} created. Password (shown once): {password}")


def register(app: Flask) -> None:
    app.cli.add_command(ensure_admin)
    app.cli.add_command(marketing_cli)
    app.cli.add_command(messages_cli)
    app.cli.add_command(stats_cli)
    app.cli.add_command(seed_demo)
