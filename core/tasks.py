"""Background work: an in-process thread pool by default, RQ on Redis when REDIS_URL is set.

Tasks are plain functions registered with @task. They run inside a fresh application context
(their own database session), so a view commits first, then enqueues.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app

log = logging.getLogger(__name__)

_REGISTRY: dict[str, Callable[..., Any]] = {}
_EXECUTORS: dict[int, ThreadPoolExecutor] = {}
_LOCK = threading.Lock()
_PENDING: set[Future] = set()


def task(fn: Callable[..., Any] | None = None, *, local: bool = False) -> Any:
    """Register a function so it can be enqueued by name (RQ needs importable names).

    `@task(local=True)` marks work that needs this instance (e.g. a file on its disk): it always
    runs in the in-process pool, even when REDIS_URL sends the rest to RQ workers.
    """

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.task_name = f"{fn.__module__}.{fn.__qualname__}"
        fn.task_local = local
        _REGISTRY[fn.task_name] = fn
        return fn

    return register(fn) if fn is not None else register


def _run(app: Flask, name: str, args: tuple, kwargs: dict) -> Any:
    with app.app_context():
        try:
            return _REGISTRY[name](*args, **kwargs)
        except Exception:
            log.exception("background task %s failed", name)
            from extensions import db

            db.session.rollback()
            raise


def _executor(app: Flask) -> ThreadPoolExecutor:
    with _LOCK:
        pool = _EXECUTORS.get(id(app))
        if pool is None:
            pool = ThreadPoolExecutor(
                app.config["TASK_WORKERS"], thread_name_prefix="bilimbot-task"
            )
            _EXECUTORS[id(app)] = pool
        return pool


_REDIS: dict[tuple[int, str], Any] = {}


def redis_connection(url: str) -> Any:
    """This process's Redis client for a URL: one connection pool, reused by every enqueue
    (a new connection each time cost five times as long). Each forked process gets its own."""
    key = (os.getpid(), url)
    with _LOCK:
        client = _REDIS.get(key)
        if client is None:
            from redis import Redis

            client = _REDIS[key] = Redis.from_url(url)
        return client


def enqueue(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future | None:
    """Run fn(*args) in the background; inline when TASKS_EAGER (tests), on RQ with REDIS_URL."""
    name = getattr(fn, "task_name", None)
    if name not in _REGISTRY:
        raise ValueError(f"{fn!r} is not a registered task")
    app = current_app._get_current_object()
    if app.config.get("TASKS_EAGER"):
        # Logged in _run; eager mode (tests) must not break the caller's request either.
        with contextlib.suppress(Exception):
            _run(app, name, args, kwargs)
        return None
    if app.config.get("REDIS_URL") and not fn.task_local:
        from rq import Queue

        # By name: the worker's entry builds the app, which this module must not import. No
        # result is kept (nothing reads it); failures stay in RQ's failed-job registry.
        Queue("bilimbot", connection=redis_connection(app.config["REDIS_URL"])).enqueue(
            RQ_ENTRY, name, args, kwargs, job_timeout=300, result_ttl=0
        )
        return None
    future = _executor(app).submit(_run, app, name, args, kwargs)
    with _LOCK:
        _PENDING.add(future)
    future.add_done_callback(_PENDING.discard)
    return future


# `rq worker bilimbot` imports this and runs it for every job (see worker.py).
RQ_ENTRY = "worker.run_task"
# Every module defining an RQ-eligible @task (kept in step by tests/core/test_tasks.py).
TASK_MODULES = (
    "outreach.admin_emails",
    "outreach.alert_jobs",
    "outreach.broadcast",
    "outreach.owner_emails",
    "pipeline.dispatch",
    "pipeline.worker",
)


def run_registered(app: Flask, name: str, args: tuple, kwargs: dict) -> Any:
    """Run a task by name in an RQ worker, after importing every module that registers tasks."""
    import importlib

    for module in TASK_MODULES:
        importlib.import_module(module)
    return _run(app, name, args, kwargs)


def wait_all(app: Flask, timeout: float = 30.0) -> None:
    """Wait until every task submitted to the in-process pool has finished (tests, benchmarks)."""
    from concurrent.futures import wait

    while True:
        with _LOCK:
            pending = list(_PENDING)
        if not pending:
            return
        wait(pending, timeout=timeout)


@dataclass(frozen=True)
class FailedJob:
    """A queued task that raised (RQ's failed-job registry): what ran, when, and why."""

    id: str
    task: str
    error: str
    failed_at: datetime | None


def failed_jobs(url: str, limit: int = 100) -> list[FailedJob]:
    """The newest failed RQ jobs (the dead letters), for the admin's page."""
    from rq import Queue
    from rq.registry import FailedJobRegistry

    queue = Queue("bilimbot", connection=redis_connection(url))
    registry = FailedJobRegistry(queue=queue)
    found = []
    for job_id in reversed(registry.get_job_ids()[-limit:]):
        job = queue.fetch_job(job_id)
        if job is None:
            continue
        result = job.latest_result()
        lines = (result.exc_string or "").strip().splitlines() if result else []
        task_name = job.args[0] if job.func_name == RQ_ENTRY and job.args else job.func_name
        found.append(FailedJob(job.id, str(task_name), lines[-1] if lines else "", job.ended_at))
    return found


def retry_failed_job(url: str, job_id: str) -> bool:
    """Put a failed job back on the queue; False when it is no longer among the failed."""
    from rq import Queue
    from rq.exceptions import InvalidJobOperation, NoSuchJobError
    from rq.registry import FailedJobRegistry

    registry = FailedJobRegistry(queue=Queue("bilimbot", connection=redis_connection(url)))
    try:
        registry.requeue(job_id)
    except (InvalidJobOperation, NoSuchJobError):
        return False
    return True
