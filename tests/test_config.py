"""Configuration: one parser for booleans and numbers, database URLs, production safety."""

import pytest

import config
from config import DEV_SECRET_KEY, ProductionConfig, engine_options, env, normalize_db_url


@pytest.mark.parametrize(
    "raw,expected",
    [("1", True), ("true", True), ("Yes", True), ("off", False), ("0", False), ("", False)],
)
def test_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env("X_FLAG", None, bool) is expected


def test_bad_values_are_reported(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ValueError, match="X_FLAG"):
        env("X_FLAG", None, bool)
    monkeypatch.setenv("X_NUM", "ten")
    with pytest.raises(ValueError, match="X_NUM"):
        env("X_NUM", 1, int)


def test_numbers_and_defaults(monkeypatch):
    monkeypatch.setenv("X_NUM", " 42 ")
    assert env("X_NUM", 1, int) == 42
    assert env("X_MISSING", 7, int) == 7


@pytest.mark.parametrize(
    "url,expected",
    [
        ("postgres://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls(url, expected):
    assert normalize_db_url(url) == expected


@pytest.mark.parametrize("secret", [DEV_SECRET_KEY, "", "short"])
def test_production_refuses_a_weak_secret_key(monkeypatch, secret):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", secret)
    monkeypatch.setattr(ProductionConfig, "FERNET_KEY", "x")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        ProductionConfig.validate()


def test_production_needs_a_fernet_key(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "s" * 40)
    monkeypatch.setattr(ProductionConfig, "FERNET_KEY", "")
    with pytest.raises(RuntimeError, match="FERNET_KEY"):
        ProductionConfig.validate()


def test_app_env_selects_the_class(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    assert config.config_from_env() is ProductionConfig
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(RuntimeError):
        config.config_from_env()


def _config_in_a_fresh_process(**environ: str) -> dict:
    """Import config.py in a new interpreter with exactly these variables (the way a server
    starts), and return the mail and link settings it computed."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    names = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME")
    names += ("MAIL_PASSWORD", "PORT", "LOCAL_BASE_URL", "DB_POOL_SIZE", "DB_MAX_OVERFLOW")
    names += ("AI_CONCURRENCY",)
    # Explicit empty values, so a developer's .env cannot fill them in (dotenv never overrides).
    env = {k: v for k, v in os.environ.items() if k not in names}
    env |= {"MAIL_SERVER": "", "MAIL_USERNAME": "", "MAIL_PASSWORD": "", "PORT": "5000"}
    env |= environ
    code = f"import json, config; print(json.dumps({{k: getattr(config.Config, k) for k in {names!r}}}))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(config.__file__).parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_gmail_is_the_default_smtp_server_when_only_credentials_are_set():
    cfg = _config_in_a_fresh_process(MAIL_USERNAME="shop@gmail.com", MAIL_PASSWORD="abcd efgh")
    assert (cfg["MAIL_SERVER"], cfg["MAIL_PORT"], cfg["MAIL_USE_TLS"], cfg["MAIL_USE_SSL"]) == (
        "smtp.gmail.com",
        587,
        True,
        False,
    )


def test_without_credentials_or_server_mail_stays_in_the_log():
    assert _config_in_a_fresh_process()["MAIL_SERVER"] == ""
    # A username alone is not enough to log in anywhere.
    assert _config_in_a_fresh_process(MAIL_USERNAME="shop@gmail.com")["MAIL_SERVER"] == ""


def test_an_explicit_mail_server_wins():
    cfg = _config_in_a_fresh_process(
        MAIL_SERVER="smtp.example.uz", MAIL_USERNAME="u", MAIL_PASSWORD="p", MAIL_PORT="465"
    )
    assert (cfg["MAIL_SERVER"], cfg["MAIL_PORT"]) == ("smtp.example.uz", 465)


def test_local_links_follow_the_port_make_run_serves_on():
    assert _config_in_a_fresh_process()["LOCAL_BASE_URL"] == "http://127.0.0.1:5000"
    assert _config_in_a_fresh_process(PORT="8123")["LOCAL_BASE_URL"] == "http://127.0.0.1:8123"


def test_env_example_lists_every_variable_the_code_reads():
    import re
    from pathlib import Path

    root = Path(config.__file__).parent
    example = (root / ".env.example").read_text()
    # Listed as NAME=value, or as a commented-out default (# NAME=value).
    listed = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", example, re.M))
    read = set()
    from main import APP_PACKAGES

    packages = [p for name in APP_PACKAGES for p in root.glob(f"{name}/**/*.py")]
    for path in [*root.glob("*.py"), *packages]:
        text = path.read_text()
        read |= set(re.findall(r"\benv\(\s*\"([A-Z][A-Z0-9_]*)\"", text))
        read |= set(re.findall(r"os\.environ\.get\(\s*\"([A-Z][A-Z0-9_]*)\"", text))
        read |= set(re.findall(r"os\.environ\[\"([A-Z][A-Z0-9_]*)\"\]", text))
    read |= {"CHROMIUM_PATH"}  # read by tests/e2e/conftest.py for browser tests
    assert sorted(read - listed) == []


def test_the_connection_pool_has_room_for_every_thread_that_answers():
    """An overflow connection is closed when given back: a pool smaller than the threads using
    it opens a new PostgreSQL backend per transaction under load (issue 12)."""
    fresh = _config_in_a_fresh_process(ANSWER_THREADS="8")
    assert (fresh["DB_POOL_SIZE"], fresh["DB_MAX_OVERFLOW"]) == (14, 0)
    fresh = _config_in_a_fresh_process(ANSWER_THREADS="32", DB_MAX_OVERFLOW="3")
    assert (fresh["DB_POOL_SIZE"], fresh["DB_MAX_OVERFLOW"]) == (38, 3)
    assert _config_in_a_fresh_process(DB_POOL_SIZE="5")["DB_POOL_SIZE"] == 5


def test_every_answering_thread_may_call_the_ai_unless_told_otherwise():
    """At 24 calls at once per process, two processes fell behind 50 messages a second with a
    0.8 s provider (issue 12): by default the answering threads are the bound."""
    assert _config_in_a_fresh_process(ANSWER_THREADS="40")["AI_CONCURRENCY"] == 40
    assert _config_in_a_fresh_process(AI_CONCURRENCY="8")["AI_CONCURRENCY"] == 8


def test_postgresql_gets_a_pool_and_prepared_statements_and_zero_turns_them_off():
    pg = engine_options("postgresql+psycopg://u@h/db", 10, 20, 5)
    assert pg["pool_size"] == 10 and pg["max_overflow"] == 20
    assert pg["connect_args"] == {"prepare_threshold": 5}
    assert pg["hide_parameters"] and not pg["pool_pre_ping"]  # pinged when idle (below)
    # 0: never prepare (a PgBouncer in transaction mode)
    assert engine_options("postgresql+psycopg://u@h/db", 10, 20, 0)["connect_args"] == {
        "prepare_threshold": None
    }
    assert engine_options("sqlite:///x.db", 10, 20, 5) == {
        "pool_pre_ping": True,
        "hide_parameters": True,
        "pool_use_lifo": True,
    }


def test_an_app_on_sqlite_gets_sqlite_options_whatever_its_config_class_inherits(tmp_path):
    from config import TestingConfig
    from main import create_app

    class OnSqlite(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'x.db'}"
        DB_PREPARE_THRESHOLD = 7

    class OnPostgres(OnSqlite):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://u@127.0.0.1:9/none"

    assert "connect_args" not in create_app(OnSqlite).config["SQLALCHEMY_ENGINE_OPTIONS"]
    options = create_app(OnPostgres).config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["connect_args"] == {"prepare_threshold": 7}


def test_a_pooled_connection_is_pinged_only_after_sitting_idle(app, monkeypatch):
    """No round trip per transaction (pool_pre_ping's): a connection given back a moment ago is
    handed out as it is; one idle for IDLE_PING_SECONDS is pinged first, and replaced by a new
    one when the ping fails (the database restarted meanwhile), without an error."""
    from sqlalchemy import create_engine, text

    import extensions

    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    extensions.ping_idle_connections(engine)
    pings, broken = [], []
    real_ping = engine.dialect.do_ping

    def ping(dbapi_connection):
        pings.append(dbapi_connection)
        if dbapi_connection in broken:
            raise engine.dialect.loaded_dbapi.OperationalError("server closed the connection")
        return real_ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", ping)
    now = [1000.0]
    monkeypatch.setattr(extensions.time, "monotonic", lambda: now[0])
    try:
        with engine.connect() as conn:  # a new connection: nothing to ping
            first = conn.connection.dbapi_connection
            conn.execute(text("SELECT 1"))
        now[0] += extensions.IDLE_PING_SECONDS - 1
        with engine.connect() as conn:  # given back a moment ago: handed out as it is
            assert conn.connection.dbapi_connection is first
        assert pings == []
        now[0] += extensions.IDLE_PING_SECONDS
        with engine.connect() as conn:  # idle long enough: pinged, and it answers
            assert conn.connection.dbapi_connection is first
        assert pings == [first]
        broken.append(first)
        now[0] += extensions.IDLE_PING_SECONDS
        with engine.connect() as conn:  # its ping fails: a fresh connection, no error
            assert conn.connection.dbapi_connection is not first
            assert conn.execute(text("SELECT 1")).scalar() == 1
        assert pings == [first, first]
    finally:
        engine.dispose()


def test_the_apps_postgresql_engine_pings_idle_connections_only():
    from main import create_app
    from tests.factories import SuiteConfig

    class OnPostgres(SuiteConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://u@127.0.0.1:1/never-connected"

    app = create_app(OnPostgres)
    with app.app_context():
        from extensions import db

        assert not db.engine.pool._pre_ping
        hooks = [fn.__name__ for fn in db.engine.pool.dispatch.checkout]
        assert hooks == ["_ping_if_idle"]


def test_after_a_burst_the_pool_serves_with_the_connection_used_last(app):
    """A burst opened several connections; what follows is served by the one given back last
    (warm: its statements prepared), not by each of them in turn."""
    from extensions import db

    with app.app_context():
        engine = db.engine
        burst = [engine.connect() for _ in range(4)]
        for connection in burst:
            connection.exec_driver_sql("SELECT 1")
        for connection in burst:
            connection.close()
        used = set()
        for _ in range(8):
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
                used.add(id(connection.connection.dbapi_connection))
    assert len(used) == 1
