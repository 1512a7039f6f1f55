"""Helpers of the admin tests: a logged-in client, a conversation with messages, row ids."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from extensions import db
from models.base import utcnow
from models.conversation import Conversation, Message
from tests.factories import PASSWORD


def login(app, email: str):
    """A test client logged in through the real form."""
    client = app.test_client()
    response = client.post("/auth/login", data={"login": email, "password": PASSWORD})
    assert response.status_code == 302, "login failed"
    return client


def add_conversation(
    user_id: int,
    platform: str = "telegram",
    name: str | None = "Ali Valiyev",
    texts: tuple = ("Salom, yetkazib berish bormi?",),
    language: str = "uz",
    hours_ago: float = 1,
    account_ref: str = "987654321",
    customer_ref: str | None = None,
    reply: str | None = "Ha, 15 000 so‘m.",
    failed: bool = False,
) -> int:
    """A conversation with the customer's messages and (optionally) a bot reply; returns its id."""
    at = utcnow() - timedelta(hours=hours_ago)
    conv = Conversation(
        user_id=user_id,
        platform=platform,
        account_ref=account_ref,
        customer_ref=customer_ref or f"c{user_id}-{platform}-{hours_ago}-{name}",
        customer_name=name,
        language=language,
        created_at=at,
        last_message_at=at,
        last_inbound_at=at,
        message_count=0,
    )
    db.session.add(conv)
    db.session.flush()
    # What every message of the conversation shares.
    of_conv = {
        "conversation_id": conv.id,
        "user_id": user_id,
        "platform": platform,
        "account_ref": account_ref,
        "language": language,
    }
    for text in texts:
        db.session.add(
            Message(
                **of_conv,
                direction="in",
                sender="customer",
                text=text,
                status="failed" if failed else "answered",
                created_at=at,
            )
        )
    if reply:
        db.session.add(
            Message(
                **of_conv,
                direction="out",
                sender="bot",
                text=reply,
                status="failed" if failed else "sent",
                provider="gemini",
                model="gemini-test-model",
                tokens_in=812,
                tokens_out=64,
                latency_ms=1234,
                error="503 model overloaded" if failed else None,
                chunks_json=json.dumps(
                    [{"id": 1, "position": 2, "score": 0.8, "text": "Yetkazish"}]
                ),
                created_at=at + timedelta(seconds=3),
            )
        )
    conv.message_count = len(texts) + bool(reply)
    db.session.commit()
    return conv.id


def rows(html: str, attr: str) -> list[str]:
    """The ids an admin list shows, read from one data attribute of its rows."""
    return re.findall(rf'{attr}="(\d+)"', html)
