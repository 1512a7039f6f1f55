"""Demo conversations and messages, written in batches, and the admin log and an announcement."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import insert, select

from commands.demo.data import FAQ, PROVIDERS
from commands.demo.rows import Owner, ago, bulk, person, pick_language
from extensions import db
from models.admin_log import AdminLog
from models.announcement import Announcement
from models.base import utcnow
from models.conversation import Conversation, Message
from models.user import User


def add_conversations(rng, owners, n_messages, now, days, ids, batch) -> int:
    """Conversations of about 10 messages each, until n_messages messages are written."""
    with_channels = [o for o in owners if o.channels and o.status != "banned"]
    if not with_channels:
        return 0
    written = 0
    convs, messages = [], []
    while written < n_messages:
        owner = rng.choice(with_channels)
        platform = rng.choice(list(owner.channels) + (["web"] if rng.random() < 0.05 else []))
        account = owner.channels.get(platform, "web")
        lang = owner.language if rng.random() < 0.6 else pick_language(rng)
        pairs = min(rng.randint(1, 9), max(1, (n_messages - written + 1) // 2))
        conv_id = ids.take(Conversation)
        start = ago(rng, now, days)
        first_msg = ids.take(Message, pairs * 2)
        at, failed, last_in = start, 0, None
        for k in range(pairs):
            in_id, out_id = first_msg + 2 * k, first_msg + 2 * k + 1
            provider, model = _provider(rng)
            fail = rng.random() < 0.03
            failed += fail
            question, answer = rng.choice(FAQ[lang])
            messages.append(
                _message(
                    in_id,
                    conv_id,
                    owner.id,
                    platform,
                    account,
                    "in",
                    "customer",
                    question,
                    lang,
                    "failed" if fail else "answered",
                    at,
                    external_id=f"demo-{in_id}",
                )
            )
            last_in = at
            at += timedelta(seconds=rng.uniform(2, 8))
            messages.append(
                _message(
                    out_id,
                    conv_id,
                    owner.id,
                    platform,
                    account,
                    "out",
                    "bot",
                    answer,
                    lang,
                    "failed" if rng.random() < 0.01 else rng.choice(("sent", "delivered", "read")),
                    at,
                    provider=provider,
                    model=model,
                    reply_to_id=in_id,
                    tokens_in=rng.randint(300, 1600) if model else None,
                    tokens_out=rng.randint(30, 300) if model else None,
                    latency_ms=rng.randint(300, 4000),
                    error="Gemini: 503 model overloaded" if fail else None,
                    chunks_json=json.dumps(
                        [{"id": 0, "position": 0, "score": 0.71, "text": answer}]
                    )
                    if model
                    else None,
                )
            )
            at += timedelta(minutes=rng.uniform(1, 180))
        convs.append(
            {
                "id": conv_id,
                "user_id": owner.id,
                "platform": platform,
                "account_ref": account,
                "customer_ref": f"{conv_id}{rng.randint(100, 999)}",
                "customer_name": person(rng, lang),
                "language": lang,
                "script": "cyrl" if lang == "ru" else "latn",
                "language_chosen": False,
                "created_at": start,
                "last_message_at": min(at, now),
                "last_inbound_at": last_in,
                "message_count": pairs * 2,
                "failed_count": failed,
            }
        )
        written += pairs * 2
        if len(messages) >= batch * 4:
            _flush(convs, messages, batch)
            convs, messages = [], []
    _flush(convs, messages, batch)
    return written


def _provider(rng) -> tuple[str, str | None]:
    name, model, _w = rng.choices(PROVIDERS, weights=[p[2] for p in PROVIDERS])[0]
    return name, model


def _message(
    mid, conv_id, user_id, platform, account, direction, sender, body, lang, status, at, **extra
) -> dict:
    at = min(at, utcnow())  # the newest conversations would otherwise run into the future
    row = {
        "id": mid,
        "conversation_id": conv_id,
        "user_id": user_id,
        "platform": platform,
        "account_ref": account,
        "external_id": None,
        "direction": direction,
        "sender": sender,
        "kind": "text",
        "text": body,
        "language": lang,
        "status": status,
        "error": None,
        "provider": None,
        "model": None,
        "tokens_in": None,
        "tokens_out": None,
        "latency_ms": None,
        "chunks_json": None,
        "reply_to_id": None,
        "sent_at": at,
        "created_at": at,
    }
    row.update(extra)
    return row


def _flush(convs: list[dict], messages: list[dict], batch: int) -> None:
    bulk(Conversation, convs, batch)
    bulk(Message, messages, batch)
    db.session.commit()


def add_extras(rng, owners: list[Owner], now, ids) -> None:
    admin_id = db.session.scalar(select(User.id).where(User.is_admin.is_(True)).limit(1))
    logs = [
        {
            "id": ids.take(AdminLog),
            "admin_id": admin_id,
            "action": "ban_user",
            "target_user_id": o.id,
            "details_json": json.dumps({"reason": "Spam"}),
            "created_at": o.created_at + timedelta(days=1),
        }
        for o in owners
        if o.status == "banned"
    ]
    bulk(AdminLog, logs, 1000)
    db.session.execute(
        insert(Announcement),
        [
            {
                "id": ids.take(Announcement),
                "subject_uz": "Yangi imkoniyat: Instagram orqali javoblar",
                "body_uz": "Endi botingiz Instagram Direct xabarlariga ham javob beradi.",
                "subject_ru": "Новое: ответы в Instagram",
                "body_ru": "Теперь ваш бот отвечает и в Instagram Direct.",
                "subject_en": "New: answers on Instagram",
                "body_en": "Your bot now answers Instagram Direct messages too.",
                "audience": "all",
                "send_email": False,
                "recipients": 0,
                "emails_sent": 0,
                "emails_failed": 0,
                "created_by_id": admin_id,
                "created_at": now - timedelta(days=2),
                "active": True,
            }
        ],
    )
