"""`flask crypto rotate`: re-encrypt every stored secret with the first FERNET_KEY.

Rotation: put the new key first in FERNET_KEY (`new,old`), deploy, run `flask crypto rotate`,
then drop the old key. Until then the old key still decrypts (MultiFernet).
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core.crypto import SecretError, rotate
from extensions import db
from models.ai_config import AIConfig
from models.channel import InstagramAccount, TelegramBot, WhatsAppAccount

# Every encrypted column, by model.
ENCRYPTED = (
    (TelegramBot, ("token_encrypted", "secret_encrypted")),
    (WhatsAppAccount, ("access_token_encrypted", "app_secret_encrypted")),
    (InstagramAccount, ("access_token_encrypted", "app_secret_encrypted")),
    (AIConfig, ("openai_key_encrypted",)),
)

crypto_cli = AppGroup("crypto", help="Secrets at rest (FERNET_KEY).")


def rotate_secrets() -> tuple[int, list[str]]:
    """Re-encrypt every stored secret with the newest key (flushes, the caller commits):
    (secrets rotated, "table.column #id" of those no configured key decrypts)."""
    rotated, unreadable = 0, []
    for model, columns in ENCRYPTED:
        for row in db.session.scalars(select(model).order_by(model.id)):
            for column in columns:
                token = getattr(row, column)
                if not token:
                    continue
                try:
                    setattr(row, column, rotate(token))
                except SecretError:
                    unreadable.append(f"{model.__tablename__}.{column} #{row.id}")
                    continue
                rotated += 1
    db.session.flush()
    return rotated, unreadable


@crypto_cli.command("rotate")
def rotate_command() -> None:
    """Re-encrypt every stored secret with the first FERNET_KEY (older keys still decrypt)."""
    rotated, unreadable = rotate_secrets()
    db.session.commit()
    click.echo(f"Re-encrypted {rotated} secret(s) with the first FERNET_KEY.")
    if unreadable:
        click.echo(f"No configured key decrypts {len(unreadable)}: {', '.join(unreadable)}")
        raise SystemExit(1)
