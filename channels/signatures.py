"""Meta's X-Hub-Signature-256 webhook signatures (WhatsApp and Instagram)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Hub-Signature-256"


def sign_body(raw_body: bytes, app_secret: str) -> str:
    """The X-Hub-Signature-256 value Meta sends for this body: "sha256=<hex>"."""
    digest = hmac.new(app_secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(raw_body: bytes, header: str | None, app_secret: str) -> bool:
    """Check Meta's X-Hub-Signature-256 header against the raw body in constant time."""
    if not app_secret or not isinstance(header, str) or not isinstance(raw_body, bytes):
        return False
    prefix, _, received = header.strip().partition("=")
    if prefix.lower() != "sha256" or not received:
        return False
    expected = sign_body(raw_body, app_secret).partition("=")[2]
    # compare_digest on ASCII bytes; a non-ASCII header is garbage, not an exception.
    try:
        received_bytes = received.lower().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected.encode("ascii"), received_bytes)
