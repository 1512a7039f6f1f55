"""The webhook inbox (models/inbox.py): a signed delivery is written as it came and acknowledged;
its messages are stored here, off the acknowledgement's path, a batch at a time.

Why: the acknowledgement was the webhook's whole pipeline (parse, find the conversation, insert
the message into a table with seven indexes, note the conversation in one with eight, commit),
and platforms wait on it, at several hundred deliveries a second. Now it is one INSERT into an
index-free table; the answering processes (pipeline/dispatch.py) store what waits before they
claim, in arrival order, one transaction per batch of INGEST_BATCH deliveries.

Exactly once: storing is idempotent (a message's unique key, an alert's update key, statuses
that only move forward), and a delivery is deleted in the transaction that stored it. One
process stores at a time on PostgreSQL (a transaction-level advisory lock), so two processes
never interleave one customer's messages out of their arrival order.

A delivery whose storing raises (a parser bug, an owner deleted meanwhile) is rolled back alone
and tried again; after MAX_ATTEMPTS it keeps its error and waits for the admin (`failed`,
`retry`: the failed-jobs page). A database that cannot be reached counts no try.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import defer

from channels import CHANNELS
from extensions import db
from models.base import utcnow
from models.inbox import WebhookDelivery
from pipeline import accounts
from pipeline.store import store_events

log = logging.getLogger(__name__)

INGEST_BATCH = 100
MAX_ATTEMPTS = 3
# Advisory lock key of the one process storing at a time ("bilim" in ASCII).
LOCK_KEY = 0x62696C696D
_local = threading.Lock()  # the same within one process (and the only one on SQLite)


@dataclass
class Ingested:
    deliveries: int = 0
    waiting: set[int] = field(default_factory=set)  # conversations with new messages
    more: bool = False  # a full batch was stored: more may wait


def receive(platform: str, trusted: list[accounts.Account], raw: bytes) -> None:
    """Keep a verified delivery, once for each account it verified for, and commit (then the
    caller calls dispatch's notify_delivery). A prebuilt statement on a connection of its own:
    nothing is built, loaded or tracked by an ORM session per delivery."""
    now = utcnow()
    rows = [
        {
            "p_platform": platform,
            "p_user_id": account.user_id,
            "p_account_ref": account.account_ref,
            "p_body": raw,
            "p_received_at": now,
        }
        for account in trusted
    ]
    with db.engine.begin() as connection:
        connection.execute(_insert(), rows)


@cache
def _insert():
    t = WebhookDelivery.__table__
    columns = ("platform", "user_id", "account_ref", "body", "received_at")
    return insert(t).inline().values({c: bindparam(f"p_{c}", type_=t.c[c].type) for c in columns})


def ingest(batches: int | None = None) -> Ingested:
    """Store what waits, oldest first, at most `batches` batches (all when None); commits."""
    done = Ingested()
    while batches is None or batches > 0:
        one = _ingest_batch()
        done.deliveries += one.deliveries
        done.waiting |= one.waiting
        done.more = one.more
        if not one.more:
            break
        batches = None if batches is None else batches - 1
    return done


def _lock() -> bool:
    """Take the storing turn until this transaction ends; False when another process has it.
    That process stores what waits, full batches until none is left; what arrives after its
    last read is taken at the next poll or wake-up of any answering process. Waiting for the
    turn instead held every other dispatcher's claims back a batch's time."""
    if db.engine.dialect.name != "postgresql":
        return True
    return bool(db.session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY}))


def _waiting_rows() -> list:
    d = WebhookDelivery
    return db.session.execute(
        select(d.id, d.platform, d.user_id, d.account_ref, d.body)
        .where(d.attempts < MAX_ATTEMPTS)
        .order_by(d.id)
        .limit(INGEST_BATCH)
    ).all()


def _ingest_batch() -> Ingested:
    if not _local.acquire(blocking=False):
        return Ingested()  # another thread of this process is storing
    try:
        return _ingest_locked()
    finally:
        _local.release()


def _ingest_locked() -> Ingested:
    if not _lock():
        db.session.commit()
        return Ingested()
    rows = _waiting_rows()
    if not rows:
        db.session.commit()
        return Ingested()
    try:
        known, noted = _accounts_of(rows), []
        waiting: set[int] = set()
        for row in rows:
            waiting |= _store(row, known, noted)
        accounts.note_messages(noted)
        _forget([row.id for row in rows])
        db.session.commit()
    except OperationalError:
        db.session.rollback()
        raise  # the database is away: nothing was stored, no try is counted
    except Exception:
        db.session.rollback()
        waiting = _one_by_one(rows)
    return Ingested(len(rows), waiting, len(rows) == INGEST_BATCH)


def _one_by_one(rows: list) -> set[int]:
    """A batch failed: each delivery in its own transaction, so one bad delivery holds back
    no other; the bad one counts a try and keeps its error (reading its account is part of
    its try: the batch's read may be what failed)."""
    waiting: set[int] = set()
    for row in rows:
        if not _lock():
            db.session.commit()
            break  # the turn went to another process (after a commit): it takes the rest
        try:
            noted: list[accounts.Account] = []
            stored = _store(row, _accounts_of([row]), noted)
            accounts.note_messages(noted)
            _forget([row.id])
            db.session.commit()
            waiting |= stored
        except OperationalError:
            db.session.rollback()
            raise
        except Exception as exc:
            db.session.rollback()
            log.exception("webhook delivery %s (%s) could not be stored", row.id, row.platform)
            _count_try(row.id, exc)
    return waiting


def _count_try(delivery_id: int, exc: Exception) -> None:
    d = WebhookDelivery
    error = f"{type(exc).__name__}: {exc}"[:1000]
    db.session.execute(
        update(d).where(d.id == delivery_id).values(attempts=d.attempts + 1, error=error)
    )
    db.session.commit()


def _forget(ids: list[int]) -> None:
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids)))


def _store(row, known: dict, noted: list) -> set[int]:
    """What one delivery said, stored as the webhook itself used to store it (`known`: the
    batch's accounts, _accounts_of); its account joins `noted` when a customer wrote."""
    from outreach import owner_chat  # outreach imports the pipeline

    payload = json.loads(row.body)
    channel = CHANNELS[row.platform]
    account = _signer(known, row)
    if row.platform == "telegram":
        if account is not None and owner_chat.intercept(account, payload):
            return set()  # the owner's own chat: never a customer's message
        events = channel.parse(payload, row.account_ref)
    else:
        events = [e for e in channel.parse(payload, None) if e.account_key == row.account_ref]
    if events and account is not None:
        noted.append(account)
    return store_events(row.user_id, row.account_ref, events)


def _key(row) -> tuple[str, int | str]:
    """What an account is looked up by: a Telegram bot by its owner (one bot each, and the
    webhook's URL names the owner), a Meta account by its id."""
    return (row.platform, row.user_id if row.platform == "telegram" else row.account_ref)


def _accounts_of(rows: list) -> dict:
    """The accounts of a batch's deliveries as this process keeps them (pipeline/accounts.py),
    by _key: one read per platform for those not kept, not one per delivery (a process that
    just started keeps none, and a few hundred accounts write within a minute)."""
    keys: dict[str, set] = {}
    for row in rows:
        platform, key = _key(row)
        keys.setdefault(platform, set()).add(key)
    found: dict = {}
    for platform, wanted in keys.items():
        channel = CHANNELS[platform]
        model = channel.model
        column = model.user_id if platform == "telegram" else getattr(model, channel.account_column)
        for key, account in accounts.lookup(model, column, sorted(wanted)).items():
            found[platform, key] = account
    return found


def _signer(known: dict, row) -> accounts.Account | None:
    """The delivery's account, when it is still the one that signed it (None when it was
    disconnected or changed meanwhile: its messages are stored all the same)."""
    found = known.get(_key(row))
    if found is None or (found.user_id, found.account_ref) != (row.user_id, row.account_ref):
        return None
    return found


def waiting_count() -> int:
    """Deliveries received and not yet stored (failed ones left out)."""
    d = WebhookDelivery
    return db.session.scalar(select(func.count()).where(d.attempts < MAX_ATTEMPTS)) or 0


def failed() -> list[WebhookDelivery]:
    """Deliveries that could not be stored after their tries, newest first."""
    d = WebhookDelivery
    query = select(d).where(d.attempts >= MAX_ATTEMPTS).order_by(d.id.desc()).limit(200)
    return list(db.session.scalars(query.options(defer(d.body))))


def retry(delivery_id: int) -> bool:
    """Give a failed delivery its tries again; False when it is not among the failed ones."""
    d = WebhookDelivery
    return bool(
        db.session.execute(
            update(d)
            .where(d.id == delivery_id, d.attempts >= MAX_ATTEMPTS)
            .values(attempts=0, error=None)
        ).rowcount
    )
