"""Extension singletons, bound to the app in create_app()."""

import time

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

# Named constraints so Alembic migrations work on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
mail = Mail()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


# A pooled connection that waited this long is pinged before it is handed out (below).
IDLE_PING_SECONDS = 10.0


def ping_idle_connections(engine: Engine) -> None:
    """Ping a pooled connection before use only when it sat idle IDLE_PING_SECONDS or more,
    instead of SQLAlchemy's pool_pre_ping on every checkout: that is a round trip per
    transaction (0.1-0.2 ms of CPU here and more in PostgreSQL, for an acknowledgement of about
    0.5 ms and an answer's six transactions). A connection broken meanwhile (a database
    restart, an idle timeout) fails its ping and is replaced, through the pool's documented
    checkout hook (DisconnectionError); one that breaks while in steady use fails its
    statement, and SQLAlchemy then replaces every connection of the pool (the work is retried:
    a webhook's delivery by the platform, a conversation by the next claim)."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # whatever the driver raised: a fresh connection instead
            raise DisconnectionError("a pooled connection failed its ping") from exc
