"""`flask seed-demo`: fill a database with realistic fake owners, channels, knowledge bases,
conversations and messages (Uzbek, Russian and English) for demos and for bench/admin_bench.py.

Rows are generated in Python with explicit ids and written with bulk INSERTs in batches
(`db.session.execute(insert(Model), rows)`), so a million messages take minutes. Running it again
adds more data next to what is there (ids, e-mails and phone numbers continue after it).

Modules: data (names and texts), rows (ids, bulk inserts, random picks), owners (accounts,
channels, knowledge bases, billing), conversations (messages, admin log, announcement).
"""

from __future__ import annotations

import random
import time

import click
from flask.cli import with_appcontext
from sqlalchemy import text

from commands.demo.conversations import add_conversations, add_extras
from commands.demo.data import DEMO_PASSWORD
from commands.demo.owners import add_billing, add_channels, add_knowledge, make_owners
from commands.demo.rows import Ids
from extensions import db
from models.base import utcnow
from models.queries.stats import rollup_message_days


def _fix_sequences() -> None:
    """PostgreSQL: explicit ids leave the serial sequences behind; move them past the max id."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.c and table.c.id.autoincrement is not False and table.name != "settings":
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                )
            )


def seed(
    owners: int, messages: int, days: int = 90, seed_value: int = 42, batch: int = 5000, echo=print
) -> dict:
    """Generate and insert the demo data; returns counts and seconds taken."""
    rng, now, ids = random.Random(seed_value), utcnow(), Ids()  # noqa: S311 - fake data
    started = time.monotonic()
    people = make_owners(rng, owners, now, days, ids, batch)
    add_channels(rng, people, now, ids, batch)
    add_knowledge(rng, people, now, ids, batch)
    db.session.commit()
    add_billing(rng, people, now, ids, batch)
    add_extras(rng, people, now, ids)
    db.session.commit()
    echo(f"owners, channels, knowledge bases: {time.monotonic() - started:.1f}s")
    written = add_conversations(rng, people, messages, now, days, ids, batch)
    _fix_sequences()
    db.session.commit()
    rollup_message_days(rebuild=True)  # the past days just written, as the daily job would
    seconds = round(time.monotonic() - started, 1)
    echo(f"{owners} owners and {written} messages in {seconds}s")
    return {"owners": owners, "messages": written, "seconds": seconds}


@click.command("seed-demo")
@click.option("--owners", default=200, show_default=True, help="Owners to create.")
@click.option("--messages", default=20_000, show_default=True, help="Messages to create.")
@click.option("--days", default=90, show_default=True, help="Spread over this many days.")
@click.option("--seed", "seed_value", default=42, show_default=True, help="Random seed.")
@click.option("--batch", default=5000, show_default=True, help="Rows per INSERT batch.")
@with_appcontext
def seed_demo(owners: int, messages: int, days: int, seed_value: int, batch: int) -> None:
    """Fill the database with realistic fake owners, channels, conversations and messages."""
    seed(owners, messages, days, seed_value, batch, echo=click.echo)
    click.echo(f"Demo owners log in as demo<id>@example.uz with the password {DEMO_PASSWORD}")
