"""`flask ensure-admin`: the platform admin's account, created once (or its password reset)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from extensions import db
from models.base import utcnow
from models.user import User


def framed(lines: list[str]) -> str:
    """Lines in a box, so they stand out at the end of `make run`'s output."""
    width = max(len(line) for line in lines)
    rule = "+" + "-" * (width + 2) + "+"
    return "\n".join([rule, *(f"| {line.ljust(width)} |" for line in lines), rule])


def _new_admin(email: str) -> User:
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
    db.session.add(admin)
    return admin


@click.command("ensure-admin")
@click.option(
    "--reset-password",
    is_flag=True,
    help="Give the existing admin a new password (ADMIN_PASSWORD, or a generated one) and end "
    "their sessions.",
)
@click.option(
    "--notice-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the framed notice to this file (readable by its owner only) instead of printing "
    "it; `make run` prints it after everything else and deletes it.",
)
@with_appcontext
def ensure_admin(reset_password: bool, notice_file: Path | None) -> None:
    """Create the admin account once (ADMIN_EMAIL/ADMIN_PASSWORD, or a generated password)."""
    email = current_app.config["ADMIN_EMAIL"].strip().lower()
    admin = db.session.scalar(select(User).where(User.email == email))
    if admin is not None and not reset_password:
        _notice(
            [
                f"Admin account: {email} (exists)",
                "Forgot its password? flask ensure-admin --reset-password",
            ],
            notice_file,
        )
        return
    given = current_app.config["ADMIN_PASSWORD"]
    password = given or secrets.token_urlsafe(12)
    created = admin is None
    admin = admin or _new_admin(email)
    admin.set_password(password)
    if not created:
        admin.end_sessions()  # a reset also logs out whoever had the old password
    db.session.commit()
    done = "created" if created else "password reset"
    # A generated password is shown once, never stored in plain text: the operator copies it.
    shown = "(ADMIN_PASSWORD)" if given else f"{password}   (shown once: copy it now)"
    _notice([f"Admin account {done}", f"E-mail:   {email}", f"Password: {shown}"], notice_file)


def _notice(lines: list[str], notice_file: Path | None) -> None:
    text = framed(lines)
    if notice_file is None:
        click.echo(text)
        return
    notice_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(notice_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text + "\n")
