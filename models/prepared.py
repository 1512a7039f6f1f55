"""Statements of the webhook's hot path, built once per process and table (then only bound):
building an INSERT … ON CONFLICT or an UPDATE anew costs more CPU than running it."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Table, bindparam, case, true, update
from sqlalchemy.dialects import postgresql, sqlite

from extensions import db


def _bound(values: dict) -> dict:
    # Bound names must differ from column names in INSERT and UPDATE statements.
    return {f"p_{k}": v for k, v in values.items()}


def insert_inbound(table: Table, values: dict):
    """INSERT … ON CONFLICT (platform, account_ref, external_id) DO NOTHING RETURNING id, and its
    parameters."""
    return _insert_inbound(table, tuple(values), db.engine.dialect.name), _bound(values)


@cache
def _insert_inbound(table: Table, columns: tuple[str, ...], dialect_name: str):
    dialect = sqlite if dialect_name == "sqlite" else postgresql
    return (
        dialect.insert(table)
        .values({c: bindparam(f"p_{c}", type_=table.c[c].type) for c in columns})
        .on_conflict_do_nothing(index_elements=["platform", "account_ref", "external_id"])
        .returning(table.c.id)
    )


def note_inbound(table: Table, row_id: int, values: dict, answer: bool):
    """UPDATE one conversation: `values` bound, the message count moved on in SQL, and when
    `answer`, the answer queue's mark; `customer_name` only fills an empty one. And its
    parameters."""
    return _note_inbound(table, tuple(values), answer), _bound(values | {"row_id": row_id})


@cache
def _note_inbound(table: Table, columns: tuple[str, ...], answer: bool):
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
