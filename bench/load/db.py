"""The benchmark's own database (created and dropped here) and plain-SQL counts of the app's tables.

PostgreSQL: `bilimbot_bench*` on 127.0.0.1 (never another name: CI uses bilimbot_test).
SQLite: a file in the run directory.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path
from urllib.parse import urlsplit

# An inbound message is settled once it has one of these (its own) final statuses; anything else
# (received, processing, or a status a later version adds) counts as not answered yet.
# rate_limited is final too: over an AI limit, told once to wait (models/conversation.py).
SETTLED = ("answered", "failed", "not_served", "too_old", "paused", "ignored", "rate_limited")
_UNSETTLED = "status NOT IN ({})".format(", ".join(f"'{s}'" for s in SETTLED))


class Database:
    def __init__(self, kind: str, pg_admin_url: str, name: str, run_dir: Path) -> None:
        self.kind, self.name = kind, name
        self._local = threading.local()
        if kind == "postgres":
            parts = urlsplit(pg_admin_url)
            if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
                raise SystemExit("PostgreSQL must be on loopback")
            if not name.startswith("bilimbot_bench"):
                raise SystemExit("the benchmark only creates databases named bilimbot_bench*")
            self.host, self.port = parts.hostname, parts.port or 5432
            self.user = parts.username or "root"
            self.admin_db = parts.path.lstrip("/") or "postgres"
        else:
            self.path = run_dir / f"{name}.db"

    # --- lifecycle ---------------------------------------------------------------------------
    def url(self, port: int | None = None) -> str:
        """DATABASE_URL for the app (optionally through the proxy on `port`)."""
        if self.kind == "sqlite":
            return f"sqlite:///{self.path}"
        return f"postgresql://{self.user}@{self.host}:{port or self.port}/{self.name}"

    def _connect(self, dbname: str):
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname=dbname,
            connect_timeout=5,
            autocommit=True,
        )

    def _admin(self):
        return self._connect(self.admin_db)

    def create(self) -> None:
        self.drop()
        if self.kind == "postgres":
            with contextlib.closing(self._admin()) as conn, conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        self.close()
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return
        with contextlib.closing(self._admin()) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            )
            cur.execute(f'DROP DATABASE IF EXISTS "{self.name}"')

    # --- queries (one connection per thread) -------------------------------------------------
    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.kind == "postgres":
                conn = self._connect(self.name)
            else:
                conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            self._local.conn = conn
            conns = getattr(self, "_all", None) or []
            conns.append(conn)
            self._all = conns
        return conn

    def query(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        if self.kind == "sqlite":
            sql = sql.replace("%s", "?")
        conn = self._conn()
        cur = conn.cursor()
        try:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
        finally:
            cur.close()

    def close(self) -> None:
        for conn in getattr(self, "_all", []) or []:
            with contextlib.suppress(Exception):
                conn.close()
        self._all = []
        self._local = threading.local()

    # --- the app's tables --------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Inbound stored / unsettled and outbound pending, in one round trip."""
        row = self.query(
            "SELECT count(*) FILTER (WHERE direction = 'in'),"
            f" count(*) FILTER (WHERE direction = 'in' AND {_UNSETTLED}),"
            " count(*) FILTER (WHERE direction = 'out' AND status = 'pending')"
            " FROM messages"
            if self.kind == "postgres"
            else "SELECT sum(direction = 'in'),"
            f" sum(direction = 'in' AND {_UNSETTLED}),"
            " sum(direction = 'out' AND status = 'pending') FROM messages"
        )[0]
        return {"stored": row[0] or 0, "unsettled": row[1] or 0, "pending_out": row[2] or 0}

    def unsettled_among(self, ids: list[int]) -> int:
        if not ids:
            return 0
        if self.kind == "postgres":
            return self.query(
                f"SELECT count(*) FROM messages WHERE id = ANY(%s) AND {_UNSETTLED}",
                (ids,),
            )[0][0]
        total = 0
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            total += self.query(
                f"SELECT count(*) FROM messages WHERE id IN ({marks}) AND {_UNSETTLED}",
                chunk,
            )[0][0]
        return total

    def unsettled_ids(self) -> list[int]:
        return [
            r[0]
            for r in self.query(f"SELECT id FROM messages WHERE direction = 'in' AND {_UNSETTLED}")
        ]

    def inbound(self) -> list[tuple]:
        return self.query(
            "SELECT id, platform, account_ref, external_id, status, error "
            "FROM messages WHERE direction = 'in'"
        )

    def outbound(self) -> list[tuple]:
        return self.query(
            "SELECT id, reply_to_id, platform, account_ref, external_id, status, "
            "error FROM messages WHERE direction = 'out'"
        )

    def conversations(self) -> int:
        return self.query("SELECT count(*) FROM conversations")[0][0]

    def clear_messages(self) -> None:
        """Between ratio trials (app stopped): every trial starts from the same empty tables
        (the webhook inbox too, where the app's version has one: nobody stores it then)."""
        tables = ["messages", "conversations", "bench_bare"]
        if self.kind == "postgres":
            if self.query("SELECT to_regclass('webhook_deliveries')")[0][0]:
                tables.append("webhook_deliveries")
            self.query(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            inbox = "SELECT count(*) FROM sqlite_master WHERE name = 'webhook_deliveries'"
            if self.query(inbox)[0][0]:
                tables.append("webhook_deliveries")
            for table in tables:
                self.query(f"DELETE FROM {table}")

    def create_bare_table(self) -> None:
        if self.kind == "postgres":
            self.query(
                "CREATE TABLE IF NOT EXISTS bench_bare (id bigserial PRIMARY KEY, "
                "body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
            )
        else:
            self.query(
                "CREATE TABLE IF NOT EXISTS bench_bare (id INTEGER PRIMARY KEY "
                "AUTOINCREMENT, body TEXT NOT NULL, created_at TEXT DEFAULT "
                "CURRENT_TIMESTAMP)"
            )
