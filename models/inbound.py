"""Storing an inbound message: the webhook's hot path, as plain statements built once per
process (then only bound). Building an INSERT … ON CONFLICT or an UPDATE anew, or loading ORM
objects for it, costs more CPU than running it. The tables come from the metadata, so the
models (models/conversation.py, which calls this for the test chat) need not be imported."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import Table, bindparam, case, func, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from extensions import db
from models.base import utcnow

# What note_conversation writes (reloaded on a conversation already in the session).
NOTED_COLUMNS = [
    "last_message_at", "last_inbound_at", "customer_name", "message_count", "answer_pending",
    "answer_gen", "pending_since",
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
    fields = dict(
        external_id=external_id,
        text=text,
        kind=kind,
        sent_at=sent_at,
        sender=sender,
        callback_id=callback_id,
        media=media,
    )
    values = {"conversation_id": conversation_id} | _message_values(
        user_id, platform, account_ref, fields
    )
    return db.session.scalar(insert_message_statement(tuple(values)), bound_values(values))


def store_for_known_conversation(
    key: tuple[int, str, str, str], message: dict, customer_name: str | None
) -> tuple[int | None, int | None] | None:
    """PostgreSQL only (None elsewhere): a customer's message into the conversation of `key`
    (user, platform, account, customer) and that conversation's note, in one statement: the
    conversation's id is read, the message inserted (ON CONFLICT DO NOTHING) and, when it was
    new, the conversation updated as `note_conversation` does, in data-modifying CTEs. Returns
    (conversation id or None when there is none yet, message id or None for a redelivery).

    One round trip instead of three: the webhook acknowledges as soon as this commits."""
    if db.engine.dialect.name != "postgresql":
        return None
    values = _message_values(key[0], key[1], key[2], message)
    now = utcnow()
    sent = message.get("sent_at") or now
    bound = bound_values(values) | _key_bound(key)
    bound |= {"c_now": now, "c_sent": sent, "c_name": (customer_name or "")[:200] or None}
    statement = _store_known(
        db.metadata.tables["conversations"], db.metadata.tables["messages"], tuple(values)
    )
    row = db.session.execute(statement, bound).one()
    return row.conversation_id, row.message_id


_KEY = ("user_id", "platform", "account_ref", "customer_ref")


def find_or_create_conversation(key: tuple[int, str, str, str], customer_name: str | None):
    """(id, customer name, last inbound time) of the conversation of `key`, created when there
    is none: INSERT … ON CONFLICT DO NOTHING RETURNING, so two first messages of one customer
    delivered at once need no savepoint (the loser reads the winner's row)."""
    table = db.metadata.tables["conversations"]
    row = db.session.execute(_find_conversation(table), _key_bound(key)).first()
    return tuple(row) if row is not None else create_conversation(key, customer_name)


def create_conversation(key: tuple[int, str, str, str], customer_name: str | None):
    """As find_or_create_conversation, for a caller that just saw there is none: the INSERT
    first, the read only when a concurrent delivery created it meanwhile."""
    table = db.metadata.tables["conversations"]
    name = (customer_name or "")[:200] or None
    created = db.session.scalar(
        _create_conversation(table, db.engine.dialect.name),
        _key_bound(key) | {"k_customer_name": name},
    )
    if created is not None:
        return created, name, None
    return tuple(db.session.execute(_find_conversation(table), _key_bound(key)).one())


def _key_bound(key: tuple[int, str, str, str]) -> dict:
    return {f"k_{k}": v for k, v in zip(_KEY, key, strict=True)}


def _by_key(c):
    """WHERE a conversation is the one of the bound key (k_user_id, k_platform, …)."""
    return [c[k] == bindparam(f"k_{k}", type_=c[k].type) for k in _KEY]


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
    db.session.execute(statement, bound_values(values | {"row_id": conversation_id}))


class LeaseLost(RuntimeError):
    """Another worker took the conversation over (this one was too slow): send nothing."""


def note_reply(conv, now: datetime, lease: dict | None = None) -> None:
    """An outbound message of `conv` (a loaded Conversation) was stored: its last_message_at
    and message count (in SQL: concurrent writers) in one UPDATE built once, as
    note_conversation writes them but for the answer mark, and the object told so. Not left
    to the session's flush: the unit of work cost several times the statement, every reply.

    With `lease` ({"owner", "until"}: the answering worker's, pipeline/queue.py) the same
    statement renews it, and raises LeaseLost when another worker holds the conversation now
    (the reply is rolled back unsent): the check costs no statement of its own."""
    table = db.metadata.tables["conversations"]
    bound = {"p_last_message_at": now, "p_row_id": conv.id}
    statement = _note_conversation(table, ("last_message_at",), False, lease is not None)
    if lease is not None:
        bound |= {"p_lease_owner": lease["owner"], "p_lease_until": lease["until"]}
    if not db.session.connection().execute(statement, bound).rowcount and lease is not None:
        raise LeaseLost(conv.id)
    set_committed_value(conv, "last_message_at", now)
    db.session.expire(conv, ["message_count"])


def _message_values(user_id: int, platform: str, account_ref: str, fields: dict) -> dict:
    """The stored columns of a new inbound message (`fields` as insert_message's keywords)."""
    return dict(
        user_id=user_id,
        platform=platform,
        account_ref=account_ref,
        external_id=fields.get("external_id"),
        direction="in",
        sender=fields.get("sender", "customer"),
        kind=fields.get("kind", "text"),
        text=fields.get("text"),
        status="received",
        sent_at=fields.get("sent_at"),
        callback_id=fields.get("callback_id"),
        attempts=0,
        created_at=utcnow(),
        **(fields.get("media") or {}),
    )


def bound_values(values: dict) -> dict:
    """The bound parameters of `values` (names must differ from the columns' in INSERT and
    UPDATE statements)."""
    return {f"p_{k}": v for k, v in values.items()}


def insert_message_statement(columns: tuple[str, ...]):
    """INSERT a message with the bound values of `columns` (bound_values), nothing on a
    conflict of its external id, RETURNING its id (None then). Built once per set of columns."""
    return _insert_message(db.metadata.tables["messages"], columns, db.engine.dialect.name)


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
def _note_conversation(table: Table, columns: tuple[str, ...], answer: bool, held: bool = False):
    """The conversation's note (`held`: only while the bound worker, p_lease_owner, holds it,
    renewing its lease to p_lease_until)."""
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
        values["pending_since"] = func.coalesce(c.pending_since, values["last_message_at"])
    statement = update(table).where(c.id == bindparam("p_row_id"))
    if held:
        statement = statement.where(c.lease_owner == bindparam("p_lease_owner"))
        values["lease_until"] = bindparam("p_lease_until", type_=c.lease_until.type)
    return statement.values(values)


@cache
def _store_known(conversations: Table, messages: Table, columns: tuple[str, ...]):
    c, m = conversations.c, messages.c
    conv = select(c.id).where(*_by_key(c)).cte("conv")
    inserted = (
        postgresql.insert(messages)
        .from_select(
            ["conversation_id", *columns],
            select(conv.c.id, *(bindparam(f"p_{k}", type_=m[k].type) for k in columns)),
            include_defaults=False,  # every column without a server default is in `columns`
        )
        .on_conflict_do_nothing(index_elements=["platform", "account_ref", "external_id"])
        .returning(m.id, m.conversation_id)
        .cte("inserted")
    )
    now = bindparam("c_now", type_=c.last_message_at.type)
    sent = bindparam("c_sent", type_=c.last_inbound_at.type)
    name = bindparam("c_name", type_=c.customer_name.type)
    noted = (
        update(conversations)
        .where(c.id == inserted.c.conversation_id)
        .values(
            last_message_at=now,
            last_inbound_at=func.greatest(c.last_inbound_at, sent),
            customer_name=func.coalesce(func.nullif(c.customer_name, ""), name, c.customer_name),
            message_count=c.message_count + 1,
            answer_pending=true(),
            answer_gen=c.answer_gen + 1,
            pending_since=func.coalesce(c.pending_since, now),
        )
        .returning(c.id)
        .cte("noted")
    )
    return select(
        select(conv.c.id).scalar_subquery().label("conversation_id"),
        select(inserted.c.id).scalar_subquery().label("message_id"),
    ).add_cte(noted)


@cache
def _find_conversation(table: Table):
    c = table.c
    return select(c.id, c.customer_name, c.last_inbound_at).where(*_by_key(c))


@cache
def _create_conversation(table: Table, dialect_name: str):
    dialect = sqlite if dialect_name == "sqlite" else postgresql
    c = table.c
    columns = (*_KEY, "customer_name")
    return (
        dialect.insert(table)
        .values({k: bindparam(f"k_{k}", type_=c[k].type) for k in columns})
        .on_conflict_do_nothing(index_elements=list(_KEY))
        .returning(c.id)
    )
