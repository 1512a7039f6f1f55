"""The bare baseline: a minimal Flask app doing one durable INSERT per request.

Served like the real app (`gunicorn --config gunicorn.conf.py`, same workers, threads and worker
class) so that the webhook's throughput can be given as a ratio of it. DATABASE_URL names the
same database; the table `bench_bare` is created by the benchmark beforehand.
"""

from __future__ import annotations

import os

from flask import Flask, request
from sqlalchemy import create_engine, text

app = Flask(__name__)
# gunicorn.conf.py's post_worker_init starts the app's scheduler only when this is set.
app.config["SCHEDULER_ENABLED"] = False

_url = os.environ["DATABASE_URL"]
for _prefix in ("postgres://", "postgresql://"):
    if _url.startswith(_prefix):
        _url = "postgresql+psycopg://" + _url[len(_prefix) :]
# The same driver (config.normalize_db_url) and pool options (config.SQLALCHEMY_ENGINE_OPTIONS)
# as the app's.
engine = create_engine(_url, pool_pre_ping=True)
_INSERT = text("INSERT INTO bench_bare (body) VALUES (:body)")


@app.post("/hook")
def hook():
    body = request.get_data(cache=False).decode("utf-8", "replace")
    with engine.begin() as conn:  # one transaction, committed (synchronous_commit stays on)
        conn.execute(_INSERT, {"body": body})
    return {"ok": True}


@app.get("/ping")
def ping():
    return "ok"
