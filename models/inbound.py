"""Storing an inbound message: the webhook's hot path, as plain statements built once per
process (then only bound). Building an INSERT … ON CONFLICT or an UPDATE anew, or loading ORM
objects for it, costs more CPU than running it. The tables come from the metadata, so the
models (models/conversation.py, which calls this for the test chat) need not be imported."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import Table, bindparam, case, true, update
from sqlalchemy.dialects import postgresql, sqlite

from extensions import db
from models.base import utcnow

# What note_conversation writes (reloaded on a conversation already in the session).
NOTED_COLUMNS = [
    "last_message_at", "last_inbound_at", "customer_name", "message_count", "answer_pending",
    "answer_gen",
]  # fmt: skip


def insert_message(
    conversation_id: int,
    user_id: int,
    platform: str,
    account_ref: str,
    *,
    external_id: str | None,
    text: str | None,
    kind: str = "text",
    sent_at: datetime | None = None,
    sender: str = "customer",
    callback_id: str | None = None,
    media: dict | None = None,
) -> int | None:
    """Store one inbound message; its id, or None when this external id was already stored
    (a redelivery). One INSERT … ON CONFLICT DO NOTHING RETURNING: a redelivered or
    concurrently delivered webhook costs no savepoint and no error."""
    values = dict(
        conversation_id=conversation_id,
        user_id=user_id,
        platform=platform,
        account_ref=account_ref,
        external_id=external_id,
        direction="in",
        sender=sender,
        kind=kind,
        text=text,
        status="received",
        sent_at=sent_at,
        callback_id=callback_id,
        attempts=0,
        created_at=utcnow(),
        **(media or {}),
    )
    table = db.metadata.tables["messages"]
    statement = _insert_message(table, tuple(values), db.engine.dialect.name)
    return db.session.scalar(statement, _bound(values))


def note_conversation(
    conversation_id: int,
    platform: str,
    sender: str,
    last_inbound_at: datetime | None,
    sent_at: datetime | None = None,
    customer_name: str | None = None,
) -> None:
    """A new message was stored: one UPDATE for the conversation's times, its message count
    (in SQL: concurrent writers) and, but for the test chat (answered while the owner waits),
    the answer queue's mark (SQL expressions, never loaded values: see
    Conversation.mark_answer_pending); `customer_name` only fills an empty one."""
    now = utcnow()
    values = {"last_message_at": now}
    if sender == "customer":
        values["last_inbound_at"] = max(filter(None, [last_inbound_at, sent_at or now]))
    if customer_name:
        values["customer_name"] = customer_name[:200]
    table = db.metadata.tables["conversations"]
    statement = _note_conversation(table, tuple(values), platform != "web")
    db.session.execute(statement, _bound(values | {"row_id": conversation_id}))


def _bound(values: dict) -> dict:
    # Bound names must differ from column names in INSERT and UPDATE statements.
    return {f"p_{k}": v for k, v in values.items()}


@cache
def _insert_message(table: Table, columns: tuple[str, ...], dialect_name: str):
    dialect = sqlite if dialect_name == "sqlite" else postgresql
    return (
        dialect.insert(table)
        .values({c: bindparam(f"p_{c}", type_=table.c[c].type) for c in columns})
        .on_conflict_do_nothing(index_elements=["platform", "account_ref", "external_id"])
        .returning(table.c.id)
    )


@cache
def _note_conversation(table: Table, columns: tuple[str, ...], answer: bool):
    c = table.c
    values = {k: bindparam(f"p_{k}", type_=c[k].type) for k in columns}
    if "customer_name" in values:
        values["customer_name"] = case(
            (c.customer_name.is_(None), values["customer_name"]), else_=c.customer_name
        )
    values["message_count"] = c.message_count + 1
    if answer:
        values["answer_pending"] = true()
        values["answer_gen"] = c.answer_gen + 1
    return update(table).where(c.id == bindparam("p_row_id")).values(values)
