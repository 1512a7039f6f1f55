"""Background work: the in-process thread pool, and RQ on Redis when REDIS_URL is set."""

import fakeredis
import pytest
from rq import Queue, SimpleWorker

import core.tasks as tasks
import worker
from extensions import db
from models.ai_config import Setting
from tests.engine_helpers import configured


@tasks.task
def mark_done(key: str) -> None:
    Setting.put(key, "done")
    db.session.commit()


@tasks.task
def explode() -> None:
    raise RuntimeError("boom")


def _value(app, key):
    with app.app_context():
        return Setting.get(key)


def test_eager_mode_runs_inline_in_its_own_context(app):
    with app.app_context():
        tasks.enqueue(mark_done, "eager")
    assert _value(app, "eager") == "done"


def test_thread_pool_runs_in_the_background(app):
    with configured(app, TASKS_EAGER=False), app.app_context():
        future = tasks.enqueue(mark_done, "pooled")
        assert future is not None
        tasks.wait_all(app)
    assert _value(app, "pooled") == "done"


def test_failures_are_logged_not_raised_to_the_caller(app, caplog):
    with app.app_context():
        tasks.enqueue(explode)  # eager: the error is logged, the request goes on
    assert "background task tests.core.test_tasks.explode failed" in caplog.text


def test_unregistered_functions_are_refused(app):
    with app.app_context(), pytest.raises(ValueError):
        tasks.enqueue(print, "x")


def test_rq_queue_when_redis_url_is_set(app, monkeypatch):
    server = fakeredis.FakeServer()
    connection = fakeredis.FakeRedis(server=server)
    # The real redis client is pointed at an in-memory Redis; our enqueue code is unchanged.
    monkeypatch.setattr("redis.Redis.from_url", classmethod(lambda cls, url, **kw: connection))
    with (
        configured(app, TASKS_EAGER=False, REDIS_URL="redis://127.0.0.1:6399/0"),
        app.app_context(),
    ):
        assert tasks.enqueue(mark_done, "queued") is None
    queue = Queue("bilimbot", connection=connection)
    assert queue.count == 1 and _value(app, "queued") is None
    monkeypatch.setattr(worker, "_APP", app)  # the worker would build it with create_app()
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert _value(app, "queued") == "done"


@tasks.task(local=True)
def mark_done_here(key: str) -> None:
    Setting.put(key, "done here")
    db.session.commit()


def test_local_tasks_stay_in_process_with_redis(app, monkeypatch):
    """An upload's file is on this instance's disk: its task never goes to an RQ worker."""
    connection = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    monkeypatch.setattr("redis.Redis.from_url", classmethod(lambda cls, url, **kw: connection))
    with (
        configured(app, TASKS_EAGER=False, REDIS_URL="redis://127.0.0.1:6399/1"),
        app.app_context(),
    ):
        assert tasks.enqueue(mark_done_here, "local") is not None  # a pool future
        tasks.wait_all(app)
    assert Queue("bilimbot", connection=connection).count == 0
    assert _value(app, "local") == "done here"


def test_rq_workers_import_every_module_with_queued_tasks(app):
    from kb.service import process_upload

    assert process_upload.task_local
    queued = {
        fn.__module__
        for fn in tasks._REGISTRY.values()
        if not fn.task_local and not fn.__module__.startswith("tests.")
    }
    assert queued and queued <= set(tasks.TASK_MODULES)
