"""`flask ensure-admin`: the platform admin's account, created once."""

from __future__ import annotations

import secrets

import click
from flask import current_app
from sqlalchemy import select

from extensions import db
from models.base import utcnow
from models.user import User


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
