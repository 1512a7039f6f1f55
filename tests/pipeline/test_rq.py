"""RQ mode: webhooks enqueue a wake-up job (one at a time), long-lived workers answer from the
database queue."""

import time

import fakeredis
import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import select

import core.tasks as tasks
import worker
from extensions import db
from models.conversation import Message
from pipeline import dispatch
from pipeline.dispatch import stop_dispatcher
from tests.channel_fixtures import tg_post
from tests.engine_helpers import configured
from tests.fakes import telegram as t

OWNER_LANGUAGE = "en"


@pytest.fixture
def connection(app, monkeypatch):
    """An in-memory Redis the real redis client is pointed at (our enqueue code is unchanged),
    and the app the RQ worker would otherwise build with create_app()."""
    redis = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    monkeypatch.setattr("redis.Redis.from_url", classmethod(lambda cls, u, **kw: redis))
    tasks._REDIS.clear()
    monkeypatch.setattr(worker, "_APP", app)
    return redis


def _wait_for_replies(tg, count: int) -> None:
    """A bounded wait for the dispatcher's threads to send `count` replies."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(tg.sent_messages()) < count:
        time.sleep(0.05)


def _post(client, shop, chats):
    for chat in chats:
        update_ = t.telegram_text_update("Ish vaqti qanday?", chat_id=chat)
        assert tg_post(client, shop.id, update_, shop.telegram_secret).status_code == 200


def test_an_answering_worker_answers_from_its_own_threads(client, app, fakes, shop, connection):
    tg, _ = fakes
    with configured(app, TASKS_EAGER=False, REDIS_URL="redis://127.0.0.1:6399/2", ANSWER_THREADS=4):
        _post(client, shop, (3101, 3102))
        queue = Queue("bilimbot", connection=connection)
        assert queue.count == 1  # one wake-up for both webhooks, not the work itself
        assert tg.sent_messages() == []  # the web process answers nothing in RQ mode
        try:
            worker.AnsweringWorker([queue], connection=connection).work(burst=True)
            _wait_for_replies(tg, 2)
        finally:
            stop_dispatcher(app)
    assert sorted(int(m["chat_id"]) for m in tg.sent_messages()) == [3101, 3102]
    assert queue.count == 0


def test_a_plain_rq_worker_answers_the_woken_conversations_itself(
    client, app, fakes, shop, connection
):
    tg, _ = fakes
    with configured(app, TASKS_EAGER=False, REDIS_URL="redis://127.0.0.1:6399/3"):
        _post(client, shop, (3201,))
        _post(client, shop, (3201,))  # a second question in the same chat
        queue = Queue("bilimbot", connection=connection)
        SimpleWorker([queue], connection=connection).work(burst=True)
    with app.app_context():  # what each message became, shown when this fails
        rows = [(m.direction, m.status, m.error) for m in db.session.scalars(select(Message))]
    assert len(tg.sent_messages(chat_id=3201)) == 2, (
        rows,
        dispatch._DISPATCHERS,
    )  # two questions, one reply each


def test_a_webhook_adds_no_wake_up_while_one_waits_and_one_again_once_it_ran(
    client, app, fakes, shop, connection
):
    tg, _ = fakes
    with configured(app, TASKS_EAGER=False, REDIS_URL="redis://127.0.0.1:6399/4"):
        queue = Queue("bilimbot", connection=connection)
        _post(client, shop, (3301, 3302, 3303))  # three customers, three conversations
        assert queue.count == 1
        # A plain worker answers the woken conversation and the ones coalesced into its job.
        SimpleWorker([queue], connection=connection).work(burst=True)
        assert sorted(int(m["chat_id"]) for m in tg.sent_messages()) == [3301, 3302, 3303]
        # It polls nothing, so its job cleared the mark: the next message wakes a worker again.
        _post(client, shop, (3304,))
        assert queue.count == 1
        SimpleWorker([queue], connection=connection).work(burst=True)
    assert len(tg.sent_messages(chat_id=3304)) == 1
    assert queue.count == 0


def test_with_answering_workers_a_second_of_webhooks_adds_one_wake_up(
    client, app, fakes, shop, connection, monkeypatch
):
    tg, _ = fakes
    monkeypatch.setattr(dispatch, "WAKE_EVERY_MS", 300)
    with configured(app, TASKS_EAGER=False, REDIS_URL="redis://127.0.0.1:6399/5", ANSWER_THREADS=4):
        queue = Queue("bilimbot", connection=connection)
        try:
            _post(client, shop, (3401,))
            worker.AnsweringWorker([queue], connection=connection).work(burst=True)
            _post(client, shop, (3402, 3403))  # the job ran, but its mark still holds
            assert queue.count == 0
            time.sleep(0.35)
            _post(client, shop, (3404,))  # the mark has expired: a job again
            assert queue.count == 1
            worker.AnsweringWorker([queue], connection=connection).work(burst=True)
            # The dispatcher polls: the messages that woke no one are answered too.
            _wait_for_replies(tg, 4)
        finally:
            stop_dispatcher(app)
    assert sorted(int(m["chat_id"]) for m in tg.sent_messages()) == [3401, 3402, 3403, 3404]
