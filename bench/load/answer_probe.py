"""The CPU one answer costs the answering side, measured inside one process (webhook_load.py
`answer-cpu`): the app's own code on one thread, so neither the other processes of a run nor the
machine's load are in the figure (CPU time of this thread, `time.thread_time`).

    .venv/bin/python bench/load/answer_probe.py --app-dir DIR --owners owners.json --messages 600

Runs in a subprocess with the app's environment (DATABASE_URL, FERNET_KEY, the fakes' URLs,
ANSWER_IN_WEB=false), after the schema was built and bench/load/seed.py seeded the owners. Like
seed.py it imports the application (after a refactor, adjust `_probe` and nothing else): the
webhooks go through the app's WSGI stack (its test client), the inbox is stored, then one thread
answers every conversation the way a worker does (`answer_conversation`), against the fakes.
Prints one JSON line: CPU ms and SQL statements per delivery stored and per message answered, and
the inbound statuses. With ANSWER_PROBE_PROFILE=FILE in the environment (webhook_load.py
`--env`), the answering is profiled with cProfile into FILE (the CPU figure then includes the
profiler's own).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

WARM_UP = 10  # conversations answered before measuring


def _settled(db, message) -> int:
    """Inbound messages no longer waiting."""
    from sqlalchemy import func, select

    return db.session.scalar(
        select(func.count()).where(message.direction == "in", message.status != "received")
    )


def _probe(owners: list[dict], messages: int, per_chat: int, seed: int) -> dict:
    from sqlalchemy import event, func, select

    from bench.load.traffic import Factory
    from extensions import db
    from main import app
    from models.conversation import Message
    from pipeline import inbox
    from pipeline.worker import answer_conversation

    factory = Factory(owners, random.Random(seed), max(1, messages // per_chat))
    client = app.test_client()
    for _ in range(messages):
        msg = factory.new()
        msg.build()
        reply = client.post(msg.path, data=msg.body, headers=msg.headers)
        if reply.status_code != 200:
            raise SystemExit(f"webhook answered {reply.status_code}: {reply.get_data()[:300]!r}")
    statements = [0]
    shapes: Counter[str] = Counter()

    def count(conn, cursor, statement, *rest) -> None:
        statements[0] += 1
        shapes[" ".join(statement.split())[:110]] += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        started = time.thread_time()
        stored = inbox.ingest().deliveries
        ingest_cpu, ingest_sql = time.thread_time() - started, statements[0]
        warm = 0
        for _ in range(WARM_UP):  # lazy loads (language models, SDK clients) not in the figure
            warm += answer_conversation()
        before = _settled(db, Message)
        statements[0] = 0
        shapes.clear()
        profile = (
            cProfile.Profile(time.thread_time) if os.environ.get("ANSWER_PROBE_PROFILE") else None
        )
        started, wall, worked = time.thread_time(), time.monotonic(), 0
        if profile is not None:
            profile.enable()
        while answer_conversation():
            worked += 1
        answer_cpu, wall = time.thread_time() - started, time.monotonic() - wall
        if profile is not None:
            profile.disable()
            profile.dump_stats(os.environ["ANSWER_PROBE_PROFILE"])
        answer_sql = statements[0]
        rows = db.session.execute(
            select(Message.status, func.count())
            .where(Message.direction == "in")
            .group_by(Message.status)
        ).all()
        answered = _settled(db, Message) - before
    if os.environ.get("ANSWER_PROBE_SQL"):  # statements by shape, per message answered
        Path(os.environ["ANSWER_PROBE_SQL"]).write_text(
            "".join(f"{n / max(1, answered):6.2f} {shape}\n" for shape, n in shapes.most_common())
        )
    statuses = {status: count for status, count in rows}
    return {
        "deliveries": stored,
        "messages": answered,
        "warm_up_conversations": warm,
        "conversations": worked,
        "statuses": statuses,
        "ingest_cpu_ms": 1000 * ingest_cpu / max(1, stored),
        "ingest_sql": ingest_sql / max(1, stored),
        "answer_cpu_ms": 1000 * answer_cpu / max(1, answered),
        "answer_sql": answer_sql / max(1, answered),
        "answer_wall_ms": 1000 * wall / max(1, answered),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app-dir", type=Path, required=True)
    parser.add_argument("--owners", type=Path, required=True)
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--per-chat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    sys.path.insert(0, str(args.app_dir.resolve()))
    owners = json.loads(args.owners.read_text())
    print(json.dumps(_probe(owners, args.messages, args.per_chat, args.seed)), flush=True)


if __name__ == "__main__":
    main()
