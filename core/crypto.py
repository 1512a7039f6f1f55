"""Secrets at rest: Fernet encryption with key rotation (MultiFernet), and masking for display."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class SecretError(RuntimeError):
    """A stored secret cannot be decrypted with the configured keys."""


def _fernet() -> MultiFernet:
    raw = current_app.config.get("FERNET_KEY") or ""
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        # Development only (production refuses to start without FERNET_KEY): derive a stable key
        # from SECRET_KEY so secrets saved on a laptop survive restarts.
        digest = hashlib.sha256(("fernet:" + current_app.config["SECRET_KEY"]).encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(k) for k in keys])


def encrypt(plain: str) -> str:
    """Encrypt a secret with the newest key."""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt with any configured key; SecretError when none fits."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretError(
            "stored secret cannot be decrypted with the configured FERNET_KEY"
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt a stored secret with the newest key; SecretError when no key decrypts it."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretError(
            "stored secret cannot be decrypted with the configured FERNET_KEY"
        ) from exc


def mask(secret: str | None, keep: int = 4) -> str:
    """Show only the start and the last characters: sk-…abcd."""
    if not secret:
        return ""
    head = secret[:3] if secret.startswith(("sk-", "EAA")) else ""
    return f"{head}…{secret[-keep:]}" if len(secret) > keep + len(head) else "…"


def generate_key() -> str:
    return Fernet.generate_key().decode()
