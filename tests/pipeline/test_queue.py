"""The answer queue: conversations claimed with leases, order from the database, dead workers'
messages taken over (answered once, or settled as failed, never sent twice)."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

import pipeline.worker as worker
from extensions import db
from models.base import utcnow
from models.conversation import Conversation, Message
from pipeline import inbox, queue
from pipeline.dispatch import stop_dispatcher
from pipeline.recovery import requeue_stale
from pipeline.send import INTERRUPTED_SEND
from tests.channel_fixtures import tg_post
from tests.engine_helpers import configured
from tests.fakes import telegram as t

OWNER_LANGUAGE = "en"
BOT = "987654321"


def _conversation(owner_id: int, chat: str) -> Conversation:
    conv = Conversation.get_or_create(owner_id, "telegram", BOT, chat)
    db.session.flush()
    return conv


def _store(conv: Conversation, external_id: str, text: str) -> Message:
    return Message.store_inbound(conv, external_id=external_id, text=text, sent_at=utcnow())


def _statuses(ids):
    db.session.expire_all()
    return [db.session.get(Message, i).status for i in ids]


def test_replies_keep_the_order_of_the_questions(app, fakes, shop):
    tg, _ = fakes
    with app.app_context():
        conv = _conversation(shop.id, "5050")
        first = _store(conv, "8001", "Ish vaqti qanday?")
        second = _store(conv, "8002", "Qaytarish mumkinmi?")
        db.session.commit()
        assert worker.answer_conversation(conv.id) == 1
        assert worker.answer_conversation(conv.id) == 0  # nothing waits any more
        replies = db.session.scalars(
            select(Message.reply_to_id).where(Message.direction == "out").order_by(Message.id)
        ).all()
        assert replies == [first.id, second.id]
        assert db.session.get(Conversation, conv.id).answer_pending is False
    texts = tg.sent_texts(chat_id=5050)
    assert len(texts) == 2 and "9:00" in texts[0]


def test_a_dead_workers_conversations_are_taken_over_once_its_lease_runs_out(app, fakes, shop):
    """Never recorded → answered again; recorded but unconfirmed → failed and shown, not resent."""
    tg, _ = fakes
    with app.app_context():
        a, b = _conversation(shop.id, "4040"), _conversation(shop.id, "4141")
        interrupted = _store(a, "7001", "Ish vaqti qanday?")
        waiting = _store(a, "7002", "Qaytarish mumkinmi?")
        unsent = _store(b, "7003", "Ish vaqti qanday?")
        interrupted.status = unsent.status = "processing"
        maybe_sent = Message.new_outbound(a, "9:00 dan 18:00 gacha", reply_to=interrupted)
        db.session.flush()
        db.session.execute(
            update(Conversation)
            .where(Conversation.id.in_([a.id, b.id]))
            .values(lease_owner="dead-worker", lease_until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        ids = (interrupted.id, waiting.id, unsent.id)
        assert requeue_stale()["requeued"] == 2
        assert _statuses(ids) == ["failed", "answered", "answered"]
        assert db.session.get(Message, interrupted.id).error == INTERRUPTED_SEND
        assert db.session.get(Message, maybe_sent.id).status == "failed"
        assert requeue_stale()["requeued"] == 0
    assert len(tg.sent_messages(chat_id=4040)) == 1  # only the waiting question's reply
    assert len(tg.sent_messages(chat_id=4141)) == 1


def test_a_claim_says_whether_questions_were_left_in_processing(app, shop):
    """The taker settles what a dead worker left only where the claim says something was."""
    with app.app_context():
        clean, left = _conversation(shop.id, "61"), _conversation(shop.id, "62")
        _store(clean, "c1", "Salom")
        stranded = _store(left, "c2", "Narxlar?")
        _store(left, "c3", "Yetkazish bormi?")
        db.session.commit()
        db.session.execute(
            update(Message).where(Message.id == stranded.id).values(status="processing")
        )
        db.session.commit()
        claims = {c.conversation_id: c.stranded for c in queue.claim(5)}
        assert claims == {clean.id: False, left.id: True}


def test_a_live_lease_is_left_to_its_worker(app, fakes, shop):
    tg, _ = fakes
    with app.app_context():
        conv = _conversation(shop.id, "6060")
        msg = _store(conv, "9001", "Salom")
        conv.lease_owner, conv.lease_until = "busy-worker", utcnow() + timedelta(seconds=20)
        db.session.commit()
        assert requeue_stale()["requeued"] == 0
        assert worker.answer_conversation(conv.id) == 0
        assert _statuses([msg.id]) == ["received"]
    assert tg.sent_messages(chat_id=6060) == []


def test_a_message_arriving_while_the_conversation_is_worked_keeps_it_claimed(app, shop):
    with app.app_context():
        conv = _conversation(shop.id, "7070")
        _store(conv, "9101", "a")
        db.session.commit()
        [held] = queue.claim(10, conversation_id=conv.id)
        _store(db.session.get(Conversation, conv.id), "9102", "b")  # a webhook, meanwhile
        db.session.commit()
        gen = queue.release(held)
        assert gen == held.gen + 1  # not released: the new message is ours to answer too
        assert queue.claim(10, conversation_id=conv.id) == []
        assert queue.release(queue.Claim(conv.id, gen)) is None
        db.session.expire_all()
        assert db.session.get(Conversation, conv.id).answer_pending is False


def test_a_message_stored_as_its_worker_releases_the_conversation_is_not_stranded(app, shop):
    """The webhook loaded the conversation while it was still pending; its worker released it
    before the webhook committed. The webhook's write must mark it pending again."""
    from sqlalchemy.orm.attributes import set_committed_value

    with app.app_context():
        conv = _conversation(shop.id, "7171")
        db.session.commit()
        set_committed_value(conv, "answer_pending", True)  # as loaded, before the release
        _store(conv, "9151", "Salom")
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Conversation, conv.id).answer_pending is True
        assert queue.claim(1, conversation_id=conv.id) != []


def test_the_heartbeat_skips_a_conversation_locked_just_now_instead_of_waiting(app, shop):
    """The heartbeat renews the leases it can take at once: one row locked by another
    transaction (its worker recording a reply, the inbox storing a message for it) is renewed
    at the next beat. Waiting for it, the heartbeat deadlocked with the inbox under load."""
    from sqlalchemy import text

    with app.app_context():
        free, busy = _conversation(shop.id, "7272"), _conversation(shop.id, "7373")
        _store(free, "9171", "a"), _store(busy, "9172", "b")
        db.session.commit()
        held = queue.claim(2)
        assert {h.conversation_id for h in held} == {free.id, busy.id}
        soon = utcnow() + timedelta(seconds=1)
        db.session.execute(
            update(Conversation)
            .where(Conversation.id.in_([free.id, busy.id]))
            .values(lease_until=soon)
        )
        db.session.commit()
        postgres = db.engine.dialect.name == "postgresql"
        with db.engine.connect() as other:
            if postgres:  # another transaction holds the busy row
                other.execute(
                    text("SELECT id FROM conversations WHERE id = :id FOR UPDATE"), {"id": busy.id}
                )
                db.session.execute(text("SET lock_timeout = '2s'"))  # LockNotAvailable if it waits
            queue.renew([free.id, busy.id])
            other.rollback()
        db.session.expire_all()
        leases = {c.id: c.lease_until for c in db.session.scalars(select(Conversation))}
        assert leases[free.id] > soon + timedelta(seconds=queue.LEASE_SECONDS / 2)
        if postgres:
            assert leases[busy.id] == soon  # skipped this beat, renewed at the next
            queue.renew([free.id, busy.id])
            db.session.expire_all()
            busy_lease = db.session.get(Conversation, busy.id).lease_until
            assert busy_lease > soon + timedelta(seconds=queue.LEASE_SECONDS / 2)
        else:  # SQLite: one writer at a time, nothing to skip
            assert leases[busy.id] > soon + timedelta(seconds=queue.LEASE_SECONDS / 2)


def test_a_worker_that_lost_its_lease_sends_nothing(app, fakes, shop):
    tg, _ = fakes
    with app.app_context():
        conv = _conversation(shop.id, "8080")
        msg = _store(conv, "9201", "Ish vaqti qanday?")
        db.session.commit()
        [held] = queue.claim(1, conversation_id=conv.id)
        # This worker stalled past its lease; another one took the conversation over.
        db.session.execute(
            update(Conversation).where(Conversation.id == conv.id).values(lease_owner="other")
        )
        db.session.commit()
        worker.work(held)
        assert _statuses([msg.id]) == ["received"]  # left for the new holder
    assert tg.sent_messages(chat_id=8080) == []


def test_a_lease_lost_while_the_ai_answered_sends_and_stores_no_reply(
    app, fakes, shop, monkeypatch
):
    """The worker stalled in the AI call past its lease and another took the conversation
    over: the statement recording the reply finds the lease gone, and nothing goes out."""
    tg, _ = fakes
    real_answer = worker.answer

    def stalled(conv, *args, **kwargs):
        reply = real_answer(conv, *args, **kwargs)
        with db.engine.begin() as other:  # meanwhile, another worker's claim
            other.execute(
                update(Conversation).where(Conversation.id == conv.id).values(lease_owner="other")
            )
        return reply

    monkeypatch.setattr(worker, "answer", stalled)
    with app.app_context():
        conv = _conversation(shop.id, "8081")
        _store(conv, "9202", "Ish vaqti qanday?")
        db.session.commit()
        [held] = queue.claim(1, conversation_id=conv.id)
        worker.work(held)
        replies = select(Message.id).where(Message.direction == "out")
        assert db.session.scalars(replies).all() == []
        assert db.session.get(Conversation, conv.id).lease_owner == "other"
    assert tg.sent_messages(chat_id=8081) == []


def test_a_dead_workers_conversation_is_claimed_before_a_backlog_of_new_ones(app, fakes, shop):
    """Under a backlog, a stranded conversation (its lease ran out) is taken first: its
    messages have waited longest (the 50,000-message run let such ones grow too old)."""
    with app.app_context():
        new = [_conversation(shop.id, f"77{i}") for i in range(3)]
        stranded = _conversation(shop.id, "7799")
        for i, conv in enumerate([*new, stranded]):
            _store(conv, f"77{i}01", "Ish vaqti qanday?")
        db.session.execute(  # held by a worker that died; its message waits since before
            update(Conversation)
            .where(Conversation.id == stranded.id)
            .values(
                lease_owner="dead-worker",
                lease_until=utcnow() - timedelta(seconds=5),
                pending_since=utcnow() - timedelta(seconds=60),
            )
        )
        db.session.commit()
        first = queue.claim(1)
        assert [c.conversation_id for c in first] == [stranded.id]
        assert [c.conversation_id for c in queue.claim(5)] == [c.id for c in new]


def test_a_new_customer_waiting_longer_is_claimed_before_an_older_conversation(app, fakes, shop):
    """Claims follow the wait, not the conversation's age: an old chat that keeps writing must
    not be served again and again while a new customer's first message waits."""
    with app.app_context():
        old = _conversation(shop.id, "7601")
        _store(old, "760101", "Salom")
        db.session.commit()
        assert worker.answer_conversation(old.id) == 1  # answered and released
        newcomer = _conversation(shop.id, "7602")
        _store(newcomer, "760201", "Ish vaqti qanday?")
        db.session.commit()
        _store(old, "760102", "Yana bir savol")  # written after the newcomer's message
        db.session.commit()
        assert old.id < newcomer.id
        assert [c.conversation_id for c in queue.claim(1)] == [newcomer.id]
        assert [c.conversation_id for c in queue.claim(1)] == [old.id]


def test_one_failing_message_does_not_hold_up_the_next(app, fakes, shop, monkeypatch):
    tg, _ = fakes
    real = worker._answer_and_send

    def flaky(conv, msg, *args, **kwargs):
        if msg.text == "boom":
            raise RuntimeError("engine exploded")
        return real(conv, msg, *args, **kwargs)

    monkeypatch.setattr(worker, "_answer_and_send", flaky)
    with app.app_context():
        conv = _conversation(shop.id, "9090")
        bad = _store(conv, "9301", "boom")
        good = _store(conv, "9302", "Ish vaqti qanday?")
        db.session.commit()
        worker.answer_conversation(conv.id)
        assert _statuses([bad.id, good.id]) == ["failed", "answered"]
        assert "engine exploded" in db.session.get(Message, bad.id).error
    assert len(tg.sent_messages(chat_id=9090)) == 1


@pytest.mark.parametrize(
    "away",
    [
        OperationalError("SELECT 1", {}, Exception("server closed the connection")),
        # every pooled connection busy for pool_timeout: the database hangs (pg-outage "hang")
        PoolTimeout("QueuePool limit of size 38 overflow 0 reached"),
    ],
    ids=["dropped", "pool-timeout"],
)
def test_a_database_gone_mid_answer_leaves_the_message_to_be_answered_not_failed(
    app, fakes, shop, monkeypatch, away
):
    """An OperationalError, or no connection free in the pool for its timeout, is the
    database's, not the message's: no "failed" row, the conversation is given up and the next
    claim answers the message once."""
    tg, _ = fakes
    real, calls = worker._answer_and_send, []

    def database_drops(conv, msg, *args, **kwargs):
        calls.append(msg.id)
        if len(calls) == 1:
            raise away
        return real(conv, msg, *args, **kwargs)

    monkeypatch.setattr(worker, "_answer_and_send", database_drops)
    with app.app_context():
        conv = _conversation(shop.id, "9191")
        msg = _store(conv, "9401", "Ish vaqti qanday?")
        db.session.commit()
        [held] = queue.claim(1, conversation_id=conv.id)
        with pytest.raises(type(away)):
            worker.work(held)
        db.session.rollback()
        assert _statuses([msg.id]) == ["received"] and db.session.get(Message, msg.id).error is None
        queue.give_up(held)  # what the dispatcher does with a conversation that raised
        assert worker.answer_conversation(conv.id) == 1
        assert _statuses([msg.id]) == ["answered"]
    assert len(tg.sent_messages(chat_id=9191)) == 1 and calls == [msg.id, msg.id]


def test_a_failed_send_marks_the_question_failed_with_the_reason(client, app, fakes, shop):
    tg, _ = fakes
    tg.block(3030)
    update_ = t.telegram_text_update("Ish vaqti qanday?", chat_id=3030)
    assert tg_post(client, shop.id, update_, shop.telegram_secret).status_code == 200
    with app.app_context():
        question = db.session.scalar(select(Message).where(Message.direction == "in"))
        assert question.status == "failed" and "blocked" in question.error


@pytest.fixture
def in_process(app):
    """The real dispatcher thread of a server process (no inline answering)."""
    with configured(app, TASKS_EAGER=False, ANSWER_THREADS=4):
        yield
        stop_dispatcher(app)


def test_the_dispatcher_answers_what_a_webhook_stored(client, app, fakes, shop, in_process):
    tg, _ = fakes
    for chat in (1201, 1202, 1203):
        update_ = t.telegram_text_update("Ish vaqti qanday?", chat_id=chat)
        assert tg_post(client, shop.id, update_, shop.telegram_secret).status_code == 200
    deadline = time.monotonic() + 30  # bounded wait for the background threads, not a timing
    while time.monotonic() < deadline and (len(tg.sent_messages()) < 3 or _still_pending(app)):
        time.sleep(0.05)
    assert sorted(int(m["chat_id"]) for m in tg.sent_messages()) == [1201, 1202, 1203]
    assert not _still_pending(app)  # every conversation released once answered


def _still_pending(app) -> bool:
    with app.app_context():
        return (
            db.session.scalar(select(Conversation.id).where(Conversation.answer_pending.is_(True)))
            is not None
        )


def test_a_stopping_dispatcher_claims_nothing_more_and_lets_go_of_what_it_had_not_started(
    app, shop
):
    """A server shutting down (a deploy) must not keep conversations it will never answer
    leased for LEASE_SECONDS, nor claim new ones after it was told to stop."""
    import threading

    from pipeline.dispatch import Dispatcher

    with app.app_context():
        first, second = _conversation(shop.id, "71"), _conversation(shop.id, "72")
        _store(first, "s1", "Ish vaqti qanday?")
        db.session.commit()
        ids = first.id, second.id
    with configured(app, ANSWER_THREADS=1):
        dispatcher = Dispatcher(app)  # not started: its loop is driven by hand
    busy = threading.Event()
    dispatcher.pool.submit(busy.wait, 10)  # the only thread is taken
    with app.app_context():
        dispatcher._fill()  # claims the waiting conversation; it queues behind the busy thread
        assert db.session.get(Conversation, ids[0]).lease_owner is not None
    dispatcher.stop()
    busy.set()
    with app.app_context():
        db.session.expire_all()
        assert db.session.get(Conversation, ids[0]).lease_owner is None  # free at once
        _store(db.session.get(Conversation, ids[1]), "s2", "Narxlar?")
        db.session.commit()
        assert dispatcher._fill() is False
        assert db.session.get(Conversation, ids[1]).lease_owner is None  # not claimed


def test_with_answering_off_in_the_web_a_messages_work_process_answers(client, app, fakes, shop):
    """ANSWER_IN_WEB=false: the webhook only keeps the delivery and acknowledges (no dispatcher
    in the web process); `flask messages work` (run_until_stopped) stores it from the inbox and
    answers from the database queue."""
    import threading

    from pipeline import dispatch

    tg, _ = fakes
    with configured(app, TASKS_EAGER=False, ANSWER_IN_WEB=False):
        update_ = t.telegram_text_update("Ish vaqti qanday?", chat_id=1301)
        assert tg_post(client, shop.id, update_, shop.telegram_secret).status_code == 200
        assert id(app) not in dispatch._DISPATCHERS and tg.sent_messages() == []
        with app.app_context():
            assert db.session.scalars(select(Message)).all() == []
            assert inbox.waiting_count() == 1
        stop = threading.Event()
        answering = threading.Thread(target=dispatch.run_until_stopped, args=(app, stop))
        answering.start()
        deadline = time.monotonic() + 30  # bounded wait for the other "process", not a timing
        while time.monotonic() < deadline and not tg.sent_messages(chat_id=1301):
            time.sleep(0.05)
        stop.set()
        answering.join(10)
    assert not answering.is_alive() and id(app) not in dispatch._DISPATCHERS
    assert len(tg.sent_messages(chat_id=1301)) == 1


def test_a_forked_process_names_itself_in_leases():
    """gunicorn forks its workers from one loaded app: each must hold leases in its own name."""
    import os

    parent = queue.worker_id()
    assert queue.worker_id() == parent  # one name for the process's life
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.write(write, queue.worker_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 200).decode()
    os.close(read), os.close(write)
    assert child != parent and f":{pid}:" in child


def test_a_message_is_marked_in_progress_only_while_its_worker_holds_the_conversation(app, shop):
    with app.app_context():
        conv = _conversation(shop.id, "7474")
        first, second = _store(conv, "9181", "a"), _store(conv, "9182", "b")
        db.session.commit()
        queue.claim(1, conversation_id=conv.id)
        assert worker._start(first, conv.id) is True
        db.session.commit()
        assert _statuses([first.id]) == ["processing"]
        # Settled meanwhile by someone else (still this worker's conversation): skipped.
        db.session.execute(update(Message).where(Message.id == second.id).values(status="ignored"))
        db.session.commit()
        assert worker._start(db.session.get(Message, second.id), conv.id) is None
        third = _store(db.session.get(Conversation, conv.id), "9183", "c")
        db.session.execute(
            update(Conversation).where(Conversation.id == conv.id).values(lease_owner="other")
        )
        db.session.commit()
        assert worker._start(third, conv.id) is False  # the lease went to another worker
        assert _statuses([second.id, third.id]) == ["ignored", "received"]


def test_an_answering_process_loads_the_ai_sdks_and_language_model_before_its_first_answer(
    tmp_path,
):
    """Not in its first answers: loaded there, they held a lock for ~0.6-0.7 s of CPU each
    while every other answering thread of the process waited (ai.load_sdks, the language
    model of text/detect.py)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import json, sys\n"
        "from main import create_app\n"
        "from pipeline.dispatch import answering_process_dispatcher, stop_dispatcher\n"
        "from text import detect\n"
        "app = create_app()\n"
        "sdks = ('google.genai', 'openai')\n"
        "before = [name in sys.modules for name in sdks] + [detect._model is not None]\n"
        "answering_process_dispatcher(app)\n"
        "after = [name in sys.modules for name in sdks] + [detect._model is not None]\n"
        "stop_dispatcher(app)\n"
        "print(json.dumps([before, after]))\n"
    )
    env = os.environ | {"DATABASE_URL": f"sqlite:///{tmp_path / 'answering.db'}"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    before, after = json.loads(out.stdout.strip().splitlines()[-1])
    assert before == [False, False, False]  # the app alone loads none (web processes need not)
    assert after == [True, True, True]
