"""Admin panel benchmark: p50/p95 render times of the heavy admin pages on a big database.

Run from the repository root::

    .venv/bin/python -m bench.admin_bench                       # SQLite file in /tmp
    .venv/bin/python -m bench.admin_bench --database-url postgresql://root@127.0.0.1:5432/bilimbot_bench

It builds the schema with the real migrations, fills it with `flask seed-demo`'s generator
(10,000 owners and 1,000,000 messages by default; --reuse keeps an already seeded database),
logs in as an admin through the login form and times each page with the test client.
Prints a table, then the figures as JSON on the last line. Target: p95 < 300 ms per page.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, select, text  # noqa: E402

from commands.db import rebuild_database  # noqa: E402
from commands.demo import seed  # noqa: E402
from config import TestingConfig, normalize_db_url  # noqa: E402
from extensions import db  # noqa: E402
from main import create_app  # noqa: E402
from models.ai_config import Setting  # noqa: E402
from models.conversation import Conversation, Message  # noqa: E402
from models.queries import stats as queries  # noqa: E402
from models.user import User  # noqa: E402

ADMIN_EMAIL, ADMIN_PASSWORD = "bench-admin@bilimbot.local", "bench-admin-password"

# Indexes the admin filters want on top of the initial migration (see the report); applied with
# --extra-indexes so the figures can be compared with and without them.
EXTRA_INDEXES = [
    "CREATE INDEX IF NOT EXISTS ix_messages_conversation_status"
    " ON messages (conversation_id, status)",
    "CREATE INDEX IF NOT EXISTS ix_messages_conversation_sender"
    " ON messages (conversation_id, sender)",
    "CREATE INDEX IF NOT EXISTS ix_conversations_last_message_id"
    " ON conversations (last_message_at, id)",
    "CREATE INDEX IF NOT EXISTS ix_conversations_platform_last"
    " ON conversations (platform, last_message_at)",
]


def make_app(url: str):
    class BenchConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = normalize_db_url(url)
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}  # noqa: RUF012

    return create_app(BenchConfig)


def ensure_admin() -> None:
    if db.session.scalar(select(User.id).where(User.email == ADMIN_EMAIL)) is None:
        from models.base import utcnow

        admin = User(
            full_name="Bench Admin",
            email=ADMIN_EMAIL,
            phone="+998900000001",
            language="en",
            is_admin=True,
            created_at=utcnow(),
            trial_ends_at=utcnow(),
        )
        admin.set_password(ADMIN_PASSWORD)
        db.session.add(admin)
        db.session.commit()


def analyse() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def pages() -> list[tuple[str, str]]:
    """The URLs to time, chosen from the data (a busy owner, a phone number, a term)."""
    busy = db.session.execute(
        select(Conversation.user_id, func.count())
        .group_by(Conversation.user_id)
        .order_by(func.count().desc())
        .limit(1)
    ).first()
    owner = db.session.get(User, busy[0]) if busy else None
    phone = owner.phone[4:] if owner else "901234567"
    conv_id = db.session.scalar(select(func.max(Conversation.id))) or 1
    spaced = f"{phone[:2]} {phone[2:5]} {phone[5:7]} {phone[7:]}"
    return [
        ("users: first page", "/admin/users"),
        ("users: phone search", f"/admin/users?q={spaced}"),
        ("users: name search", "/admin/users?q=Karim"),
        ("users: paid+telegram by name", "/admin/users?status=paid&platform=telegram&sort=name"),
        ("users: free, plan expiry, p.20", "/admin/users?status=free&sort=plan_expiry&page=20"),
        ("user detail (busiest owner)", f"/admin/users/{owner.id if owner else 1}"),
        ("conversations: first page", "/admin/conversations"),
        ("conversations: page 200", "/admin/conversations?page=200"),
        ("conversations: failed", "/admin/conversations?status=failed"),
        (
            "conversations: wa+ru+served",
            "/admin/conversations?platform=whatsapp&language=ru&status=served",
        ),
        ("conversations: served", "/admin/conversations?status=served"),
        ("conversations: owner", f"/admin/conversations?owner={owner.id if owner else 1}"),
        ("conversations: search 'Payme'", "/admin/conversations?q=Payme"),
        ("conversations: search rare", "/admin/conversations?q=zzqx-not-there"),
        (
            "conversations: search 30 days",
            "/admin/conversations?q=kafolat&date_from=" + _days_ago(29),
        ),
        (
            "conversations: search rare 30 d.",
            "/admin/conversations?q=zzqx&date_from=" + _days_ago(29),
        ),
        ("conversation detail", f"/admin/conversations/{conv_id}"),
        ("stats: last 30 days", "/admin/stats"),
        ("stats: last 30 days, no rollup yet", "/admin/stats#live"),
        ("stats: last 90 days", "/admin/stats?date_from=" + _days_ago(89)),
        ("stats: last 90 days, no rollup yet", "/admin/stats?date_from=" + _days_ago(89) + "#live"),
        ("admin log", "/admin/logs"),
        ("dashboard", "/admin/"),
    ]


def _days_ago(n: int) -> str:
    from datetime import date, timedelta

    return (date.today() - timedelta(days=n)).isoformat()


def forget_rollup(app) -> None:
    """Drop the rollup marker, so the statistics page reads every day from `messages`."""
    with app.app_context():
        db.session.execute(delete(Setting).where(Setting.key == queries.ROLLUP_KEY))
        db.session.commit()


def time_pages(app, runs: int) -> list[dict]:
    client = app.test_client()
    response = client.post("/auth/login", data={"login": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert response.status_code == 302, response.status_code
    with app.app_context():
        urls = pages()
    results = []
    for name, url in urls:
        for _ in range(2):  # warm caches (SQLite page cache, PG buffers, Jinja templates)
            assert client.get(url).status_code == 200, url
        times = []
        live = url.endswith("#live")  # as before the first stats-rollup: every day scanned
        for _ in range(max(3, runs // 4) if live else runs):
            if live:
                forget_rollup(app)
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, url
        if live:
            with app.app_context():
                queries.rollup_message_days()
        times.sort()
        results.append(
            {
                "page": name,
                "url": url,
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 1),
                "max_ms": round(times[-1], 1),
            }
        )
        print(
            f"{name:34} p50 {results[-1]['p50_ms']:7.1f} ms   p95 {results[-1]['p95_ms']:7.1f} ms"
            f"   max {results[-1]['max_ms']:7.1f} ms",
            flush=True,
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="sqlite:////tmp/bilimbot_admin_bench.db")
    parser.add_argument("--owners", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument(
        "--extra-indexes",
        action="store_true",
        help="create the recommended extra indexes before timing",
    )
    args = parser.parse_args()
    app = make_app(args.database_url)
    seeded = None
    with app.app_context():
        if not args.reuse or db.session.scalar(text("SELECT 1 FROM users LIMIT 1")) is None:
            rebuild_database()
            seeded = seed(args.owners, args.messages)
        if args.extra_indexes:
            for ddl in EXTRA_INDEXES:
                db.session.execute(text(ddl))
            db.session.commit()
        ensure_admin()
        queries.rollup_message_days()  # the steady state: the daily job has run
        analyse()
        counts = {
            "owners": db.session.scalar(select(func.count()).select_from(User)),
            "conversations": db.session.scalar(select(func.count()).select_from(Conversation)),
            "messages": db.session.scalar(select(func.count()).select_from(Message)),
        }
        dialect = db.engine.dialect.name
    print(f"{dialect}: {counts}" + (f", seeded in {seeded['seconds']}s" if seeded else ""))
    results = time_pages(app, args.runs)
    slow = [r["page"] for r in results if r["p95_ms"] >= 300]
    print("all pages p95 < 300 ms" if not slow else f"p95 >= 300 ms: {', '.join(slow)}")
    print(
        json.dumps(
            {
                "dialect": dialect,
                "counts": counts,
                "seeded": seeded,
                "extra_indexes": args.extra_indexes,
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
