"""Helpers shared by engine and channel tests: a knowledge base in the database, AI fakes wired
into the app's configuration."""

from __future__ import annotations

from contextlib import contextmanager

from extensions import db
from kb.chunking import chunk_text
from models.conversation import Conversation, Message
from models.knowledge_base import KnowledgeBase

KB_TEXT = """Yetkazib berish: Toshkent bo‘ylab yetkazib berish narxi 15 000 so‘m. 300 000 so‘mdan ortiq buyurtmalar uchun yetkazib berish bepul.

Ish vaqti: do‘konimiz har kuni soat 9:00 dan 21:00 gacha ishlaydi.

Доставка: доставка по Ташкенту стоит 15 000 сумов, бесплатно при заказе от 300 000 сумов.

Оплата: мы принимаем наличные, карты Uzcard и Humo, а также Click и Payme.

Returns: you can return any unused item within 14 days with the receipt.

Warranty: all phones come with a one-year official warranty."""


def add_kb(user_id: int, text: str = KB_TEXT, name: str = "faq.txt") -> KnowledgeBase:
    """Create an active knowledge base with real chunks (needs an app context; commits)."""
    kb = KnowledgeBase(
        user_id=user_id,
        original_name=name,
        file_type="txt",
        size_bytes=len(text.encode()),
        sha256="0" * 64,
        status="processing",
    )
    db.session.add(kb)
    db.session.flush()
    kb.activate(text, chunk_text(text), None, None, [])
    db.session.commit()
    return kb


def add_answered_conversation(user_id: int, question: str, answer: str) -> tuple[int, int, int]:
    """A Telegram conversation with a customer question and the bot's answer (commits):
    (conversation id, question id, answer id)."""
    conv = Conversation.get_or_create(user_id, "telegram", "42", "9001", "Jasur")
    db.session.flush()
    asked = Message.store_inbound(conv, external_id="1", text=question)
    bot = Message.new_outbound(conv, answer, sender="bot", reply_to=asked)
    bot.status = "sent"
    db.session.commit()
    return conv.id, asked.id, bot.id


@contextmanager
def configured(app, **values):
    """Temporarily change app.config (AI keys, base URLs) for one test."""
    saved = {k: app.config.get(k) for k in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(saved)


def answer_requests(gemini):
    """The fake Gemini's answering calls (not a question's translation before retrieval)."""
    return [r for r in gemini.generate_requests() if b"You translate" not in r.body]
