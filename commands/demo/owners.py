"""Demo owners and what they own: accounts, channels, knowledge bases, plan requests, payments."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from commands.demo.data import BUSINESSES, DEMO_PASSWORD, KB_LINES, PHONE_PREFIXES, PLATFORM_CHANCE
from commands.demo.rows import Owner, ago, bulk, person, pick_language
from core.crypto import encrypt
from extensions import db
from kb.chunking import chunk_text
from models.ai_config import AIConfig
from models.billing import Payment, PlanRequest
from models.channel import InstagramAccount, TelegramBot, WhatsAppAccount
from models.knowledge_base import KnowledgeBase, KnowledgeChunk
from models.marketing import MarketingMessage
from models.user import PLAN_DAYS, User


def make_owners(rng, n, now, days, ids, batch) -> list[Owner]:
    first_id = ids.take(User, n)
    taken = set(db.session.scalars(select(User.phone)))
    password_hash = _password_hash()
    users, owners = [], []
    for i in range(n):
        uid = first_id + i
        lang = pick_language(rng)
        created = ago(rng, now, days)
        trial_end = created + timedelta(days=current_app.config["TRIAL_DAYS"])
        roll = rng.random()
        plan = expires = banned = None
        if roll < 0.03:
            banned = created + timedelta(days=rng.uniform(0.5, 5))
        elif trial_end <= now and roll < 0.40:
            plan = rng.choice(("monthly", "quarterly", "annual"))
            expires = now + timedelta(days=rng.uniform(1, PLAN_DAYS[plan]))
        elif trial_end <= now and roll < 0.50:
            plan = "monthly"
            expires = trial_end + timedelta(days=30)
            expires = min(expires, now - timedelta(hours=1))
        phone = f"+998{rng.choice(PHONE_PREFIXES)}{(uid * 7919) % 10_000_000:07d}"
        while phone in taken:
            phone = f"+998{rng.choice(PHONE_PREFIXES)}{rng.randrange(10_000_000):07d}"
        taken.add(phone)
        user = {
            "id": uid,
            "full_name": person(rng, lang),
            "email": f"demo{uid}@example.uz",
            "phone": phone,
            "password_hash": password_hash,
            "language": lang,
            "is_admin": False,
            "created_at": created,
            "trial_ends_at": trial_end,
            "plan": plan,
            "plan_expires_at": expires,
            "banned_at": banned,
            "ban_reason": "Spam" if banned else None,
            "last_login_at": created + timedelta(hours=rng.uniform(0, 48)),
        }
        users.append(user)
        status = (
            "banned"
            if banned
            else "paid"
            if expires and expires > now
            else "trial"
            if trial_end > now
            else "expired"
        )
        owners.append(Owner(uid, lang, created, status))
    bulk(User, users, batch)
    return owners


def _password_hash() -> str:
    from models.user import _hasher

    return _hasher().hash(DEMO_PASSWORD)


def add_channels(rng, owners: list[Owner], now, ids, batch) -> None:
    rows = {"telegram": [], "whatsapp": [], "instagram": []}
    models = {"telegram": TelegramBot, "whatsapp": WhatsAppAccount, "instagram": InstagramAccount}
    secret = encrypt("demo-secret-not-real")  # one ciphertext for all: the demo never sends
    for owner in owners:
        for platform, chance in PLATFORM_CHANCE.items():
            if rng.random() >= chance:
                continue
            ok = rng.random() < 0.9
            common = {
                "id": ids.take(models[platform]),
                "user_id": owner.id,
                "connected_at": owner.created_at + timedelta(hours=rng.uniform(1, 30)),
                "last_message_at": now - timedelta(hours=rng.uniform(0, 200)),
                "last_check_at": now - timedelta(hours=rng.uniform(0, 24)),
                "last_check_ok": ok,
                "last_check_detail": "OK" if ok else "401 Unauthorized: token revoked",
            }
            if platform == "telegram":
                ref = str(7_000_000_000 + owner.id)
                rows[platform].append(
                    common
                    | {
                        "token_encrypted": secret,
                        "secret_encrypted": secret,
                        "token_hash": hashlib.sha256(f"demo-token-{owner.id}".encode()).hexdigest(),
                        "bot_id": ref,
                        "username": f"{rng.choice(BUSINESSES).lower()}{owner.id}_bot",
                        "webhook_url": f"https://bot.example.uz/telegram/webhook/{owner.id}",
                    }
                )
            elif platform == "whatsapp":
                ref = f"10{owner.id:013d}"
                rows[platform].append(
                    common
                    | {
                        "phone_number_id": ref,
                        "waba_id": f"20{owner.id:013d}",
                        "app_id": f"30{owner.id:013d}",
                        "access_token_encrypted": secret,
                        "app_secret_encrypted": secret,
                        "verify_token": f"bb_demo_wa_{owner.id}",
                        "display_phone": f"+998 {rng.choice(PHONE_PREFIXES)} {owner.id % 1000:03d} "
                        f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
                    }
                )
            else:
                ref = f"1784{owner.id:011d}"
                rows[platform].append(
                    common
                    | {
                        "ig_account_id": ref,
                        "page_id": f"40{owner.id:013d}",
                        "access_token_encrypted": secret,
                        "app_secret_encrypted": secret,
                        "verify_token": f"bb_demo_ig_{owner.id}",
                        "username": f"{rng.choice(BUSINESSES).lower()}.uz{owner.id}",
                    }
                )
            owner.channels[platform] = ref
    for platform, model in models.items():
        bulk(model, rows[platform], batch)


def add_knowledge(rng, owners: list[Owner], now, ids, batch) -> None:
    kbs, chunks, configs = [], [], []
    own_key = encrypt("sk-demo-not-a-real-key")
    for owner in owners:
        if rng.random() < 0.6:
            has_key = rng.random() < 0.1
            configs.append(
                {
                    "id": ids.take(AIConfig),
                    "user_id": owner.id,
                    "bot_name": rng.choice(BUSINESSES) + " bot",
                    "default_language": owner.language,
                    "openai_key_encrypted": own_key if has_key else None,
                    "openai_key_hint": "sk-…demo" if has_key else None,
                    "openai_model": "gpt-6-luna" if has_key else None,
                    "updated_at": now,
                }
            )
        if rng.random() >= 0.7:
            continue
        body = "\n".join(rng.choice(KB_LINES) for _ in range(rng.randint(10, 60)))
        parts = chunk_text(body)
        kb_id = ids.take(KnowledgeBase)
        file_type = rng.choice(("pdf", "docx", "csv", "txt"))
        kbs.append(
            {
                "id": kb_id,
                "user_id": owner.id,
                "original_name": f"narxlar_{owner.id}.{file_type}",
                "file_type": file_type,
                "size_bytes": len(body.encode()) * rng.randint(2, 6),
                "sha256": hashlib.sha256(body.encode()).hexdigest(),
                "status": "ready",
                "is_active": True,
                "text": body,
                "char_count": len(body),
                "chunk_count": len(parts),
                "uploaded_at": owner.created_at + timedelta(hours=2),
                "processed_at": now,
            }
        )
        first = ids.take(KnowledgeChunk, len(parts))
        chunks += [
            {"id": first + i, "knowledge_base_id": kb_id, "position": i, "text": t}
            for i, t in enumerate(parts)
        ]
    bulk(AIConfig, configs, batch)
    bulk(KnowledgeBase, kbs, batch)
    bulk(KnowledgeChunk, chunks, batch)


def add_billing(rng, owners: list[Owner], now, ids, batch) -> None:
    users = (
        {
            u.id: u
            for u in db.session.scalars(
                select(User).where(User.id.in_([o.id for o in owners if o.status != "trial"]))
            )
        }
        if owners
        else {}
    )
    requests, payments, mails = [], [], []
    prices = {p: current_app.config[f"PLAN_PRICE_{p.upper()}"] for p in PLAN_DAYS}
    for owner in owners:
        user = users.get(owner.id)
        if user is None:
            continue
        if user.plan:
            req_id = ids.take(PlanRequest)
            start = user.plan_expires_at - timedelta(days=PLAN_DAYS[user.plan])
            requests.append(
                {
                    "id": req_id,
                    "user_id": owner.id,
                    "plan": user.plan,
                    "list_price": prices[user.plan],
                    "discount_percent": 0,
                    "price_due": prices[user.plan],
                    "status": "approved",
                    "created_at": start,
                    "decided_at": start,
                }
            )
            payments.append(
                {
                    "id": ids.take(Payment),
                    "user_id": owner.id,
                    "request_id": req_id,
                    "plan": user.plan,
                    "list_price": prices[user.plan],
                    "discount_amount": 0,
                    "amount_due": prices[user.plan],
                    "period_start": start,
                    "period_end": user.plan_expires_at,
                    "created_at": start,
                }
            )
        elif owner.status == "expired":
            if rng.random() < 0.1:
                requests.append(
                    {
                        "id": ids.take(PlanRequest),
                        "user_id": owner.id,
                        "plan": "monthly",
                        "list_price": prices["monthly"],
                        "discount_percent": 0,
                        "price_due": prices["monthly"],
                        "status": "pending",
                        "created_at": now - timedelta(hours=rng.uniform(1, 40)),
                    }
                )
            mails.append(
                {
                    "id": ids.take(MarketingMessage),
                    "user_id": owner.id,
                    "kind": "trial_ended",
                    "subject": "BilimBot: sinov muddati tugadi",
                    "status": "sent",
                    "created_at": user.trial_ends_at + timedelta(hours=1),
                }
            )
    bulk(PlanRequest, requests, batch)
    bulk(Payment, payments, batch)
    bulk(MarketingMessage, mails, batch)
