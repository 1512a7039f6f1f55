"""`flask seed-demo`: fill a database with realistic fake owners, channels, knowledge bases,
conversations and messages (Uzbek, Russian and English) for demos and for bench/admin_bench.py.

Rows are generated in Python with explicit ids and written with bulk INSERTs in batches
(`db.session.execute(insert(Model), rows)`), so a million messages take minutes. Running it again
adds more data next to what is there (ids, e-mails and phone numbers continue after it).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, insert, select, text

from core.crypto import encrypt
from extensions import db
from kb.index import chunk_text
from models.admin_log import AdminLog
from models.ai_config import AIConfig
from models.announcement import Announcement
from models.base import utcnow
from models.billing import Payment, PlanRequest
from models.channel import InstagramAccount, TelegramBot, WhatsAppAccount
from models.conversation import Conversation, Message
from models.knowledge_base import KnowledgeBase, KnowledgeChunk
from models.marketing import MarketingMessage
from models.queries.stats import rollup_message_days
from models.user import PLAN_DAYS, User

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - public on purpose: printed for demos

FIRST_NAMES = {
    "uz": [
        "Aziz",
        "Dilnoza",
        "Jasur",
        "Nodira",
        "Sardor",
        "Malika",
        "Bekzod",
        "Gulnora",
        "Otabek",
        "Shahnoza",
        "Ulug‘bek",
        "Madina",
        "Sherzod",
        "Zarina",
        "Javohir",
        "Feruza",
        "Islom",
        "Kamola",
        "Rustam",
        "Lobar",
    ],
    "ru": [
        "Алексей",
        "Наталья",
        "Дмитрий",
        "Ольга",
        "Сергей",
        "Елена",
        "Игорь",
        "Татьяна",
        "Андрей",
        "Марина",
        "Виктор",
        "Анна",
    ],
    "en": ["John", "Emily", "Michael", "Sarah", "David", "Laura", "James", "Anna"],
}
LAST_NAMES = {
    "uz": [
        "Karimov",
        "Rahimova",
        "Toshmatov",
        "Ergasheva",
        "Yusupov",
        "Abdullayeva",
        "Aliyev",
        "Nazarova",
        "Qodirov",
        "Saidova",
        "Xolmatov",
        "Mirzayeva",
        "O‘rinboyev",
        "Sobirova",
    ],
    "ru": ["Иванов", "Петрова", "Ким", "Смирнова", "Пак", "Кузнецова", "Цой", "Попова"],
    "en": ["Smith", "Brown", "Taylor", "Wilson", "Clark", "Walker"],
}
BUSINESSES = [
    "Market",
    "Shop",
    "Store",
    "Savdo",
    "Textile",
    "Mebel",
    "Pharm",
    "Auto",
    "Travel",
    "Stroy",
    "Tech",
    "Food",
    "Kids",
    "Moda",
    "Beauty",
    "Print",
]
QUESTIONS = {
    "uz": [
        "Yetkazib berish narxi qancha?",
        "Do‘kon soat nechida ochiladi?",
        "Payme orqali to‘lasa bo‘ladimi?",
        "Bu mahsulot omborda bormi?",
        "Kafolat muddati qancha?",
        "Toshkent bo‘ylab necha kunda yetkazasiz?",
        "Narxlar ro‘yxatini yuboring",
        "Chegirma bormi?",
        "Manzilingiz qayerda?",
        "Buyurtmani qanday bekor qilaman?",
        "Samarqandga yetkazib berasizmi?",
        "Qaytarish shartlari qanday?",
    ],
    "ru": [
        "Сколько стоит доставка?",
        "Во сколько открывается магазин?",
        "Можно оплатить через Click?",
        "Есть ли этот товар в наличии?",
        "Какая гарантия?",
        "Сколько дней доставка по Ташкенту?",
        "Пришлите прайс-лист",
        "Есть ли скидки?",
        "Где вы находитесь?",
        "Как отменить заказ?",
    ],
    "en": [
        "How much is delivery?",
        "What time do you open?",
        "Can I pay with a card?",
        "Is this item in stock?",
        "How long is the warranty?",
        "Do you deliver to Samarkand?",
        "Send me the price list",
        "Do you have discounts?",
        "Where are you located?",
    ],
}
ANSWERS = {
    "uz": [
        "Toshkent bo‘ylab yetkazib berish 15 000 so‘m, 300 000 so‘mdan yuqori buyurtmalar "
        "uchun bepul.",
        "Biz har kuni 9:00 dan 21:00 gacha ishlaymiz.",
        "Ha, Payme, Click va Uzcard orqali to‘lash mumkin.",
        "Ha, mahsulot omborda bor. Buyurtma berish uchun ismingiz va manzilingizni yozing.",
        "Barcha telefonlarga 12 oy rasmiy kafolat beriladi.",
        "Toshkent bo‘ylab 1-2 kun ichida yetkazamiz.",
    ],
    "ru": [
        "Доставка по Ташкенту 15 000 сумов, бесплатно при заказе от 300 000 сумов.",
        "Мы работаем ежедневно с 9:00 до 21:00.",
        "Да, можно оплатить через Payme и Click.",
        "Да, товар в наличии. Напишите имя и адрес для заказа.",
        "На все телефоны официальная гарантия 12 месяцев.",
    ],
    "en": [
        "Delivery in Tashkent costs 15,000 soum and is free for orders over 300,000 soum.",
        "We are open every day from 9:00 to 21:00.",
        "Yes, you can pay with Payme or Click.",
        "Yes, it is in stock. Send your name and address to order.",
        "All phones come with a 12-month official warranty.",
    ],
}
KB_LINES = [
    "Yetkazib berish: Toshkent bo‘ylab 15 000 so‘m, 300 000 so‘mdan yuqori buyurtmalarga bepul.",
    "Ish vaqti: har kuni 9:00 dan 21:00 gacha, dam olish kunlarisiz.",
    "To‘lov: Payme, Click, Uzcard, Humo va naqd pul.",
    "Kafolat: barcha telefonlarga 12 oy, aksessuarlarga 3 oy.",
    "Qaytarish: 14 kun ichida, mahsulot ishlatilmagan bo‘lsa.",
    "Доставка по Ташкенту 15 000 сумов; в регионы — 2–4 дня через BTS.",
    "Оплата: Payme, Click, наличные при получении.",
    "Returns are accepted within 14 days if the item is unused.",
    "Manzil: Toshkent, Chilonzor tumani, Bunyodkor ko‘chasi 12.",
]
PHONE_PREFIXES = ["90", "91", "93", "94", "95", "97", "98", "99", "33", "88", "77", "50"]
PROVIDERS = [
    ("gemini", "gemini-3.5-flash-lite", 0.7),
    ("openai", "gpt-6-luna", 0.2),
    ("offline", None, 0.1),
]
PLATFORM_CHANCE = {"telegram": 0.7, "whatsapp": 0.4, "instagram": 0.3}


@dataclass
class Ids:
    """Next free primary key per table: rows get explicit ids so children can refer to them."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, model, n: int = 1) -> int:
        table = model.__tablename__
        if table not in self.next:
            self.next[table] = (db.session.scalar(select(func.max(model.id))) or 0) + 1
        first = self.next[table]
        self.next[table] += n
        return first


@dataclass
class Owner:
    id: int
    language: str
    created_at: datetime
    status: str
    channels: dict[str, str] = field(default_factory=dict)  # platform -> account_ref


def _bulk(model, rows: list[dict], batch: int) -> None:
    for i in range(0, len(rows), batch):
        db.session.execute(insert(model), rows[i : i + batch])


def _person(rng: random.Random, lang: str) -> str:
    return f"{rng.choice(FIRST_NAMES[lang])} {rng.choice(LAST_NAMES[lang])}"


def _lang(rng: random.Random) -> str:
    return rng.choices(("uz", "ru", "en"), weights=(6, 3, 1))[0]


def _ago(rng: random.Random, now: datetime, days: int) -> datetime:
    """A moment in the last `days` days, more often recent (a growing platform)."""
    return now - timedelta(days=rng.triangular(0, days, 0), seconds=rng.randint(0, 3600))


# --- owners and what they own ----------------------------------------------------------------
def _owners(rng, n, now, days, ids, batch) -> list[Owner]:
    first_id = ids.take(User, n)
    taken = set(db.session.scalars(select(User.phone)))
    password_hash = _password_hash()
    users, owners = [], []
    for i in range(n):
        uid = first_id + i
        lang = _lang(rng)
        created = _ago(rng, now, days)
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
            "full_name": _person(rng, lang),
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
    _bulk(User, users, batch)
    return owners


def _password_hash() -> str:
    from models.user import _hasher

    return _hasher().hash(DEMO_PASSWORD)


def _channels(rng, owners: list[Owner], now, ids, batch) -> None:
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
        _bulk(model, rows[platform], batch)


def _knowledge(rng, owners: list[Owner], now, ids, batch) -> None:
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
    _bulk(AIConfig, configs, batch)
    _bulk(KnowledgeBase, kbs, batch)
    _bulk(KnowledgeChunk, chunks, batch)


def _billing(rng, owners: list[Owner], now, ids, batch) -> None:
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
    _bulk(PlanRequest, requests, batch)
    _bulk(Payment, payments, batch)
    _bulk(MarketingMessage, mails, batch)


# --- conversations and messages --------------------------------------------------------------
def _conversations(rng, owners, n_messages, now, days, ids, batch) -> int:
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
        lang = owner.language if rng.random() < 0.6 else _lang(rng)
        pairs = min(rng.randint(1, 9), max(1, (n_messages - written + 1) // 2))
        conv_id = ids.take(Conversation)
        start = _ago(rng, now, days)
        first_msg = ids.take(Message, pairs * 2)
        at, failed, last_in = start, 0, None
        for k in range(pairs):
            in_id, out_id = first_msg + 2 * k, first_msg + 2 * k + 1
            provider, model = _provider(rng)
            fail = rng.random() < 0.03
            failed += fail
            question = rng.choice(QUESTIONS[lang])
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
                    rng.choice(ANSWERS[lang]),
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
                        [{"id": 0, "position": 0, "score": 0.71, "text": ANSWERS[lang][0]}]
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
                "customer_name": _person(rng, lang),
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
    _bulk(Conversation, convs, batch)
    _bulk(Message, messages, batch)
    db.session.commit()


def _extras(rng, owners: list[Owner], now, ids) -> None:
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
    _bulk(AdminLog, logs, 1000)
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


def _fix_sequences() -> None:
    """PostgreSQL: explicit ids leave the serial sequences behind; move them past the max id."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.c and table.c.id.autoincrement is not False and table.name != "settings":
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                )
            )


def seed(
    owners: int, messages: int, days: int = 90, seed_value: int = 42, batch: int = 5000, echo=print
) -> dict:
    """Generate and insert the demo data; returns counts and seconds taken."""
    rng, now, ids = random.Random(seed_value), utcnow(), Ids()  # noqa: S311 - fake data
    started = time.monotonic()
    people = _owners(rng, owners, now, days, ids, batch)
    _channels(rng, people, now, ids, batch)
    _knowledge(rng, people, now, ids, batch)
    db.session.commit()
    _billing(rng, people, now, ids, batch)
    _extras(rng, people, now, ids)
    db.session.commit()
    echo(f"owners, channels, knowledge bases: {time.monotonic() - started:.1f}s")
    written = _conversations(rng, people, messages, now, days, ids, batch)
    _fix_sequences()
    db.session.commit()
    rollup_message_days(rebuild=True)  # the past days just written, as the daily job would
    seconds = round(time.monotonic() - started, 1)
    echo(f"{owners} owners and {written} messages in {seconds}s")
    return {"owners": owners, "messages": written, "seconds": seconds}


@click.command("seed-demo")
@click.option("--owners", default=200, show_default=True, help="Owners to create.")
@click.option("--messages", default=20_000, show_default=True, help="Messages to create.")
@click.option("--days", default=90, show_default=True, help="Spread over this many days.")
@click.option("--seed", "seed_value", default=42, show_default=True, help="Random seed.")
@click.option("--batch", default=5000, show_default=True, help="Rows per INSERT batch.")
@with_appcontext
def seed_demo(owners: int, messages: int, days: int, seed_value: int, batch: int) -> None:
    """Fill the database with realistic fake owners, channels, conversations and messages."""
    seed(owners, messages, days, seed_value, batch, echo=click.echo)
    click.echo(f"Demo owners log in as demo<id>@example.uz with the password {DEMO_PASSWORD}")
