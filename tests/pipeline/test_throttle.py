"""Issue 14, finding 4: AI answers from the channels are limited per customer and per owner, and
the platform key has a daily quota; the over-limit customer is asked once to wait."""

import pytest
from sqlalchemy import select

from extensions import db
from models.ai_config import PlatformAI
from models.conversation import Message
from tests.channel_fixtures import APP_SECRET, tg_post
from tests.engine_helpers import answer_requests, configured
from tests.fakes import graph as g
from tests.fakes import telegram as t

OWNER_LANGUAGE = "en"
WAIT_EN = "Please wait a minute"


def _flood(client, shop, n, chat_id=4242, language_code="en", start=0):
    for i in range(n):
        update = t.telegram_text_update(
            f"Question number {start + i} about delivery?", chat_id=chat_id,
            language_code=language_code,
        )  # fmt: skip
        assert tg_post(client, shop.id, update, shop.telegram_secret).status_code == 200


def _statuses(app):
    with app.app_context():
        return [
            (m.status, m.error)
            for m in db.session.scalars(
                select(Message).where(Message.direction == "in").order_by(Message.id)
            )
        ]


def test_a_flooding_customer_gets_n_ai_answers_then_one_please_wait(
    app, client, fakes, shop, gemini
):
    tg, _ = fakes
    with configured(app, AI_CUSTOMER_PER_MINUTE=3):
        _flood(client, shop, 10)
    assert len(answer_requests(gemini)) == 3
    sent = [m["text"] for m in tg.sent_messages(chat_id=4242)]
    # Until the customer picks a language, Telegram replies follow the message (English here).
    assert len(sent) == 4 and sum(WAIT_EN in s for s in sent) == 1 and WAIT_EN in sent[-1]
    statuses = _statuses(app)
    assert [s for s, _ in statuses[:3]] == ["answered"] * 3
    assert [s for s, _ in statuses[3:]] == ["rate_limited"] * 7
    assert all("a minute" in (e or "") for _, e in statuses[3:])  # shown to owner and admin


def test_another_customer_of_the_same_owner_is_not_held_up(app, client, fakes, shop, gemini):
    with configured(app, AI_CUSTOMER_PER_MINUTE=2):
        _flood(client, shop, 4, chat_id=1)
        _flood(client, shop, 1, chat_id=2)
    assert len(answer_requests(gemini)) == 3


@pytest.mark.parametrize(
    "texts,words",
    [
        (("Сколько стоит доставка по Ташкенту?", "А в Самарканд доставляете?"), "подождите"),
        (("Yetkazib berish narxi qancha?", "Samarqandga ham yetkazasizmi?"), "kuting"),
        (("How much is delivery to Tashkent?", "Do you deliver to Samarkand?"), "Please wait"),
    ],
)
def test_the_please_wait_reply_is_in_the_customers_language(
    app, client, fakes, shop, gemini, texts, words
):
    _, graph = fakes
    with configured(app, AI_CUSTOMER_PER_MINUTE=1):
        for text in texts:
            body, headers = g.signed(g.whatsapp_text_payload(text), APP_SECRET)
            client.post("/whatsapp/webhook", data=body, headers=headers)
    last = graph.whatsapp_sent()[-1]["text"]["body"]
    assert words in last


def test_the_owner_limit_covers_all_customers(app, client, fakes, shop, gemini):
    with configured(app, AI_OWNER_PER_HOUR=2):
        for chat in (11, 12, 13):
            _flood(client, shop, 1, chat_id=chat)
    assert len(answer_requests(gemini)) == 2
    status, error = _statuses(app)[-1]
    assert status == "rate_limited" and "an hour" in error


def test_the_platform_daily_quota_falls_back_to_the_offline_engine(
    app, client, fakes, shop, gemini
):
    tg, _ = fakes
    with configured(app, PLATFORM_AI_DAILY_QUOTA=2):
        for chat in (21, 22, 23):
            _flood(client, shop, 1, chat_id=chat)
    assert len(answer_requests(gemini)) == 2
    with app.app_context():
        providers = db.session.scalars(
            select(Message.provider).where(Message.direction == "out").order_by(Message.id)
        ).all()
        assert providers == ["gemini", "gemini", "offline"]
        assert "daily quota" in PlatformAI.last_error()  # the admin's AI page shows it
    assert len(tg.sent_messages(chat_id=23)) == 1  # the customer still got an answer


def test_limits_are_counted_in_the_database_not_per_process(app, ctx):
    """Another worker's answers count: the count reads the stored replies."""
    from models.base import utcnow
    from models.conversation import Conversation
    from pipeline import throttle
    from tests.factories import make_user

    owner = make_user()
    conv = Conversation.get_or_create(owner.id, "telegram", "1", "55", None)
    for _ in range(2):
        reply = Message.new_outbound(conv, "answer", sender="bot")
        reply.provider, reply.created_at = "gemini", utcnow()
    db.session.commit()
    with configured(app, AI_CUSTOMER_PER_MINUTE=2):
        assert throttle.over_limit(conv) is not None
    with configured(app, AI_CUSTOMER_PER_MINUTE=3):
        assert throttle.over_limit(conv) is None


def test_the_daily_quota_reads_one_counter_shared_by_every_worker(app, ctx):
    """Another instance's answers count (the counter is a row), and a new day starts at zero:
    the check never counts the day's messages."""
    from datetime import timedelta

    from models.ai_usage import AIUsage
    from models.base import utcnow
    from pipeline import throttle

    today = utcnow().date()
    for _ in range(3):
        throttle.count_platform_answer()
    AIUsage.count_platform_answer(today - timedelta(days=1))
    db.session.commit()
    assert AIUsage.platform_answers_on(today) == 3
    with configured(app, PLATFORM_AI_DAILY_QUOTA=3):
        assert throttle.platform_quota_reached()
    with configured(app, PLATFORM_AI_DAILY_QUOTA=4):
        assert not throttle.platform_quota_reached()


def test_the_answering_worker_reads_the_days_count_at_most_every_few_seconds(app, ctx, monkeypatch):
    """The answering worker checks the quota before every answer: within kept_reads() the
    day's row is read at most every KEPT_SECONDS, and in between the count its own last answer
    returned is taken (every instance's answers are in it); anything else reads the row."""
    from cachetools import TTLCache
    from sqlalchemy import text

    from models import ai_config, ai_usage
    from models.ai_usage import AIUsage
    from models.base import utcnow
    from pipeline import throttle

    now = [0.0]
    monkeypatch.setattr(ai_config, "_kept", TTLCache(8, ai_config.KEPT_SECONDS, lambda: now[0]))
    monkeypatch.setattr(ai_usage, "_clock", lambda: now[0])
    today = utcnow().date()

    def elsewhere(*statements) -> None:  # another instance, on a connection of its own
        db.session.rollback()  # (SQLite: no read transaction of ours in its way)
        with db.engine.begin() as other:
            for statement in statements:
                other.execute(statement, {"p_day": today})

    def answering() -> bool:  # the worker's check
        with ai_config.kept_reads():
            return throttle.platform_quota_reached()

    elsewhere(AIUsage.counting(), AIUsage.counting())  # answered twice today
    with configured(app, PLATFORM_AI_DAILY_QUOTA=3):
        assert not answering()  # read: 2
        elsewhere(AIUsage.counting())
        assert not answering()  # kept: 2
        assert throttle.platform_quota_reached()  # a page, a command: the row, read (3)
        assert answering()  # kept by that read
        now[0] += ai_config.KEPT_SECONDS + 1
        elsewhere(text("DELETE FROM ai_usage_daily"))
        assert not answering()  # read again: 0
        throttle.count_platform_answer()  # added at once (the first this second): 1
        db.session.commit()
        elsewhere(AIUsage.counting(), AIUsage.counting())
        assert not answering()  # kept: 1, this process's own count
        throttle.count_platform_answer()  # counted here, not added yet
        assert not answering()  # 1 kept + 1 counted here
        now[0] += ai_usage.COUNT_EVERY_SECONDS
        throttle.count_platform_answer()  # both added: the row says 5 (the other two in it)
        db.session.commit()
        assert answering()


def test_answers_on_the_owners_own_key_do_not_use_the_platform_quota(
    app, client, fakes, shop, gemini
):
    from models.ai_config import AIConfig
    from models.ai_usage import AIUsage
    from models.base import utcnow
    from tests.fakes.openai_fake import FakeOpenAI

    own_key = "sk-own-key-of-the-owner-123456"
    with app.app_context():
        cfg = AIConfig.for_user(shop.id)
        cfg.set_openai_key(own_key)
        db.session.commit()
    with (
        FakeOpenAI(keys=(own_key,)) as openai,
        configured(app, PLATFORM_AI_DAILY_QUOTA=1, OPENAI_BASE_URL=f"{openai.url}/v1"),
    ):
        _flood(client, shop, 2, chat_id=31)
    with app.app_context():
        providers = db.session.scalars(
            select(Message.provider).where(Message.direction == "out")
        ).all()
        assert providers == ["openai", "openai"]
        assert AIUsage.platform_answers_on(utcnow().date()) == 0


def test_answers_are_added_to_the_days_row_at_most_every_second_in_a_transaction_of_their_own(
    app, ctx, monkeypatch
):
    """The day's row is every answer's: a process adds what it counted at most every
    COUNT_EVERY_SECONDS, in one statement, its quota check seeing its own count meanwhile. On
    PostgreSQL the addition is committed at once, in a transaction of its own: another
    worker's count does not wait for the end of this answer's transaction, and it stays
    counted when the answer is rolled back (the calls were made). On SQLite, one writer at a
    time, it is part of the answer's transaction."""
    from sqlalchemy import event, text

    from models import ai_usage
    from models.ai_usage import AIUsage
    from models.base import utcnow
    from pipeline import throttle

    now = [0.0]
    monkeypatch.setattr(ai_usage, "_clock", lambda: now[0])
    today = utcnow().date()

    def stored() -> int:  # the row itself (the quota check also counts this process's own)
        return db.session.scalar(select(AIUsage.platform_answers).where(AIUsage.day == today))

    throttle.count_platform_answer()  # an earlier answer: added at once, the day's row exists
    db.session.commit()
    assert stored() == 1
    upserts: list[str] = []

    def listen(_conn, _cursor, statement, *_args) -> None:
        upserts.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        throttle.count_platform_answer()
        throttle.count_platform_answer()
        assert not [s for s in upserts if s.startswith("INSERT")]  # counted here this second
        assert stored() == 1
        assert AIUsage.platform_answers_on(today) == 3  # but seen by this process's check
        now[0] += ai_usage.COUNT_EVERY_SECONDS
        throttle.count_platform_answer()  # the answer's transaction is open
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert len([s for s in upserts if s.startswith("INSERT INTO ai_usage_daily")]) == 1  # all 3
    if db.engine.dialect.name != "postgresql":
        assert stored() == 4
        db.session.rollback()
        assert stored() == 1
        return
    with db.engine.connect() as other:  # another worker counts meanwhile
        other.execute(text("SET lock_timeout = '2s'"))  # raises LockNotAvailable if it waits
        other.execute(AIUsage.counting(), {"p_day": today})
        other.commit()
    db.session.rollback()
    assert stored() == 5


def test_the_dispatcher_adds_the_counted_answers_when_due_and_as_it_stops(app, monkeypatch):
    """What a process counted reaches the day's row though no answer follows (its dispatcher
    adds it once due), and at the latest as the process stops."""
    from models import ai_usage
    from models.ai_usage import AIUsage
    from models.base import utcnow
    from pipeline.dispatch import Dispatcher

    now = [0.0]
    monkeypatch.setattr(ai_usage, "_clock", lambda: now[0])
    today = utcnow().date()

    def stored() -> int:
        with app.app_context():
            found = select(AIUsage.platform_answers).where(AIUsage.day == today)
            return db.session.scalar(found) or 0

    with app.app_context():
        for _ in range(3):
            AIUsage.count_platform_answer(today)  # the first added at once, two counted here
        db.session.commit()
    assert stored() == 1
    dispatcher = Dispatcher(app)  # not started: its loop is run by hand, once
    dispatcher.stopping = False
    dispatcher.event.set()
    monkeypatch.setattr(dispatcher, "_fill", lambda: False)
    original_renew = dispatcher._renew

    def renew_then_stop() -> None:
        original_renew()
        dispatcher.stopping = True  # one turn of the loop

    monkeypatch.setattr(dispatcher, "_renew", renew_then_stop)
    dispatcher._loop()
    assert stored() == 1  # not due yet
    now[0] += ai_usage.COUNT_EVERY_SECONDS
    dispatcher.stopping = False
    dispatcher._loop()
    assert stored() == 3  # due: added with no answer after them
    with app.app_context():
        AIUsage.count_platform_answer(today)
        db.session.commit()
    assert stored() == 3
    dispatcher.stop(wait=True)
    assert stored() == 4  # the last one, as the process stops
