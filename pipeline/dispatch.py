"""Who answers the queue (pipeline/queue.py), in each process.

Each of them first stores the webhook deliveries waiting in the inbox (pipeline/inbox.py).

- Tests (`TASKS_EAGER`): the webhook stores and answers its deliveries inline, after its commit.
- With `REDIS_URL`: the RQ workers (worker.AnsweringWorker: long-lived, the app built once)
  each run a dispatcher polling the database every 0.2 s; a webhook enqueues a `wake` job (at
  most one a second) so an idle one starts at once.
- Otherwise: a dispatcher thread in every server process claims conversations from the database
  and answers them on a pool of I/O threads (AI and platform calls wait on the network, so the
  pool is sized for I/O, not for cores: `ANSWER_THREADS`). It renews the leases it holds, wakes
  at once when a webhook of its own process keeps a delivery, and otherwise polls, so a message
  stored by any process, or left by a dead one, is taken within seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app

from ai import load_sdks
from core.tasks import enqueue, redis_connection, task
from extensions import db
from models.ai_usage import AIUsage
from pipeline import inbox, queue
from pipeline.worker import answer_conversation, work
from text.detect import warm_up as warm_up_language_model

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
# The inbox is read at most this often by one dispatcher (a wake-up or poll after that reads it).
INGEST_EVERY = 0.1
# A dedicated answering process (`flask messages work`) is woken by nobody: it polls more often.
WORKER_POLL_SECONDS = 0.2


def notify_delivery() -> None:
    """A webhook kept deliveries in the inbox (pipeline/inbox.py; called after its commit):
    whoever answers stores them first, then answers. Tests store and answer them inline."""
    app = current_app._get_current_object()
    if app.config.get("TASKS_EAGER"):
        notify(inbox.ingest().waiting)
    else:
        _wake(app, [])


def notify(conversation_ids: Iterable[int]) -> None:
    """New messages wait in these conversations (called after the commit that stored them)."""
    ids = list(dict.fromkeys(conversation_ids))
    if not ids:
        return
    app = current_app._get_current_object()
    if app.config.get("TASKS_EAGER"):
        for conv_id in ids:
            enqueue(answer_conversation, conv_id)
    else:
        _wake(app, ids)


def _wake(app: Flask, conversation_ids: list[int]) -> None:
    if app.config.get("REDIS_URL"):
        if _no_wake_pending(app):
            enqueue(wake, conversation_ids)
    elif answers_here(app):
        dispatcher_for(app).wake()
    # else the `flask messages work` processes find them at their next poll


# At most one wake-up job a second: a webhook that finds the mark set adds none. An answering
# worker (worker.AnsweringWorker) polls the database every WORKER_POLL_SECONDS anyway, so a job
# only spares an idle one that wait; at a few dozen messages a second one job per webhook cost
# the workers more CPU (RQ's own bookkeeping of each job) than the answers. A plain `rq worker`
# has no dispatcher and polls nothing: its job clears the mark first, so the next message
# enqueues a job of its own.
WAKE_KEY = "bilimbot:answer-wake-pending"
WAKE_EVERY_MS = 1000
# A plain `rq worker` answers at most this many conversations per wake-up job; what arrives
# meanwhile has enqueued another.
PLAIN_WORKER_BATCH = 100


def _no_wake_pending(app: Flask) -> bool:
    """Mark a wake-up job as queued; False when one was queued less than WAKE_EVERY_MS ago."""
    redis = redis_connection(app.config["REDIS_URL"])
    return bool(redis.set(WAKE_KEY, "1", nx=True, px=WAKE_EVERY_MS))


@task
def wake(conversation_ids: list[int]) -> None:
    """Start answering at once: in an RQ worker its dispatcher stores the inbox's deliveries and
    claims the conversations; a process without one (a plain `rq worker`) clears the mark, then
    does both itself: these conversations, the deliveries' and whatever else waits."""
    app = current_app._get_current_object()
    found = _DISPATCHERS.get(id(app))
    if found is not None:
        found.wake()
        return
    redis_connection(app.config["REDIS_URL"]).delete(WAKE_KEY)
    for conv_id in [*conversation_ids, *sorted(inbox.ingest().waiting)]:
        answer_conversation(conv_id)
    for _ in range(PLAIN_WORKER_BATCH):  # the webhooks coalesced into this job
        if not answer_conversation():
            return


class Dispatcher:
    """Claims conversations for this process and answers them on a thread pool."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.size = app.config["ANSWER_THREADS"]
        self.pool = ThreadPoolExecutor(self.size, thread_name_prefix="bilimbot-answer")
        self.held: set[int] = set()
        self.queued: dict[int, tuple] = {}  # claimed, waiting for a thread: (claim, future)
        self.lock = threading.Lock()
        self.event = threading.Event()
        self.stopping = False
        self.thread = threading.Thread(target=self._loop, name="bilimbot-dispatch", daemon=True)
        self.last_renewal = 0.0
        self.last_ingest = 0.0
        self.poll_seconds = POLL_SECONDS

    def start(self) -> Dispatcher:
        # Before the first claim, not in the first answers: the AI SDKs' imports (ai.load_sdks)
        # and the language model (~0.6 s of CPU each), which the first answers of a process
        # loaded while its other answering threads waited for them.
        load_sdks()
        warm_up_language_model()
        self.thread.start()
        return self

    def wake(self) -> None:
        self.event.set()

    def stop(self, wait: bool = False) -> None:
        """Claim nothing more, and let go at once of what was claimed but not yet started (the
        next holder need not wait for the lease to run out); what is running finishes (and is
        waited for with `wait`: see stop_dispatcher)."""
        self.stopping = True
        self.event.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout=5)
        with self.lock:
            queued = dict(self.queued)
        self.pool.shutdown(wait=wait, cancel_futures=True)
        unstarted = [held for held, future in queued.values() if future.cancelled()]
        with self.app.app_context():
            for held in unstarted:
                queue.give_up(held)
            try:
                AIUsage.add_counted()  # the answers of its last second
                db.session.commit()
            except Exception:  # the database is away: they go uncounted
                log.exception("answer dispatcher: the last answers could not be counted")

    def _loop(self) -> None:
        while not self.stopping:
            self.event.wait(self.poll_seconds)
            self.event.clear()
            try:
                with self.app.app_context():
                    more = self._ingest_due()
                    while True:  # deliveries first (a batch at a time), then claims
                        more = more and self._ingest_batch()
                        while self._fill():
                            pass
                        if not more:
                            break
                    self._renew()
                    AIUsage.add_counted(due_only=True)  # also when no answer follows
                    db.session.commit()  # (SQLite adds it in the session)
            except Exception:  # the database may be away for a while: keep trying
                log.exception("answer dispatcher: claiming failed; retrying")
                time.sleep(POLL_SECONDS)

    def _ingest_due(self) -> bool:
        """Whether to look at the inbox now: at most every INGEST_EVERY seconds (the loop also
        runs after every finished answer, dozens of times a second under load)."""
        return time.monotonic() - self.last_ingest >= INGEST_EVERY

    def _ingest_batch(self) -> bool:
        """Store one batch of the inbox; True when more may wait."""
        self.last_ingest = time.monotonic()
        return inbox.ingest(batches=1).more

    def _fill(self) -> bool:
        """Claim as many conversations as there are free threads; True if all slots filled."""
        with self.lock:
            free = self.size - len(self.held)
        if free <= 0 or self.stopping:
            return False
        claims = queue.claim(free)
        for held in claims:
            with self.lock:
                self.held.add(held.conversation_id)
                self.queued[held.conversation_id] = (held, self.pool.submit(self._work, held))
        return len(claims) == free

    def _work(self, held: queue.Claim) -> None:
        with self.lock:
            self.queued.pop(held.conversation_id, None)
        try:
            with self.app.app_context():
                try:
                    work(held)
                except Exception:
                    log.exception("answering conversation %s failed", held.conversation_id)
                    db.session.rollback()
                    queue.give_up(held)  # another try soon, by whichever worker claims it
        finally:
            with self.lock:
                self.held.discard(held.conversation_id)
            self.wake()  # a thread is free: claim more

    def _renew(self) -> None:
        if time.monotonic() - self.last_renewal < queue.LEASE_SECONDS / 3:
            return
        with self.lock:
            held = list(self.held)
        queue.renew(held)
        self.last_renewal = time.monotonic()


_DISPATCHERS: dict[int, Dispatcher] = {}
_LOCK = threading.Lock()


def dispatcher_for(app: Flask) -> Dispatcher:
    """This process's dispatcher, started on first use (server start, or the first webhook)."""
    with _LOCK:
        found = _DISPATCHERS.get(id(app))
        if found is None:
            found = _DISPATCHERS[id(app)] = Dispatcher(app).start()
        return found


def answers_here(app: Flask) -> bool:
    """Whether this web process answers the queue itself: not with RQ workers, not when
    ANSWER_IN_WEB is off (`flask messages work` processes answer; the web only stores and acks,
    so answering never takes the acks' CPU and interpreter lock), not in tests (inline)."""
    cfg = app.config
    return not (cfg.get("TASKS_EAGER") or cfg.get("REDIS_URL")) and cfg.get("ANSWER_IN_WEB", True)


def start_for_server(app: Flask) -> None:
    """A server process answers the queue from its start, so conversations a dead process left
    are taken over even before new traffic comes (when it answers at all: answers_here)."""
    if answers_here(app):
        dispatcher_for(app)


def answering_process_dispatcher(app: Flask) -> Dispatcher:
    """The dispatcher of a process that only answers (`flask messages work`, an RQ
    AnsweringWorker): few or no wake-ups reach it, so it polls the database more often."""
    dispatcher = dispatcher_for(app)
    dispatcher.poll_seconds = WORKER_POLL_SECONDS
    return dispatcher


def run_until_stopped(app: Flask, stop: threading.Event) -> None:
    """`flask messages work`: this process only answers, until `stop` is set (SIGTERM)."""
    dispatcher = answering_process_dispatcher(app)
    dispatcher.wake()
    stop.wait()
    stop_dispatcher(app)


def stop_dispatcher(app: Flask) -> None:
    """Stop this process's dispatcher and wait for the answers it is running (`flask messages
    work` on SIGTERM, tests: the next test reuses the same row ids)."""
    with _LOCK:
        found = _DISPATCHERS.pop(id(app), None)
    if found is not None:
        found.stop(wait=True)
