"""The webhook's view of a connected account: its row id, owner, key and the secret that signs
its deliveries, read from the database once and then kept in this process for a short while.

Every delivery used to load the whole channel row and decrypt its secret before it could be
verified; a busy bot sends many a second. What is kept is small and changes rarely: an entry
lives ACCOUNT_CACHE_SECONDS at most, is dropped at once when this process changes or deletes
the row (mapper events below), and a delivery that the kept secret does not verify is checked
once more against the row as stored (a reconnect in another process changed the secret), so a
stale entry delays no delivery signed with a new secret. What another process changes is seen
here within ACCOUNT_CACHE_SECONDS: until then a delivery for an account disconnected there is
still stored (its answer then finds no channel to send through).

A Telegram bot's entry also knows the owner's chat linked through it for alerts, so that a
customer's update costs no read of alert_settings (outreach/owner_chat.py reads the row itself
for an update from that chat). A link made in another process is known here within
ACCOUNT_CACHE_SECONDS; until then that chat is treated as a customer's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from cachetools import TTLCache
from sqlalchemy import and_, bindparam, event, or_, select, update

from core.crypto import SecretError
from extensions import db
from models.base import utcnow
from models.channel import LAST_MESSAGE_PRECISION, InstagramAccount, TelegramBot, WhatsAppAccount
from models.owner_alerts import AlertSettings

# Long enough that an account writing once a minute or two is not read again for each message
# (most accounts of a platform with thousands of owners); a change made here is seen at once, a
# changed secret anywhere on its first delivery (above).
ACCOUNT_CACHE_SECONDS = 120
_MODELS = (TelegramBot, WhatsAppAccount, InstagramAccount)


@dataclass(frozen=True, slots=True)
class Account:
    """What a webhook needs of one connected account."""

    model: type
    id: int
    user_id: int
    account_ref: str
    secret: str  # Telegram's webhook secret token, or the Meta app secret
    # A Telegram bot's chat with its owner, linked for alerts (outreach/owner_chat.py): updates
    # from any other chat need no look at alert_settings.
    owner_chat: str | None = None


_cache: TTLCache = TTLCache(maxsize=8192, ttl=ACCOUNT_CACHE_SECONDS)
_noted: TTLCache = TTLCache(maxsize=8192, ttl=LAST_MESSAGE_PRECISION.total_seconds())
_lock = threading.Lock()


def _secret(row) -> str:
    return row.secret_token if isinstance(row, TelegramBot) else row.app_secret


def _account(row, owner_chat: str | None) -> Account | None:
    try:
        secret = _secret(row)
    except SecretError:  # a secret encrypted under a retired key: nothing can verify against it
        return None
    return Account(type(row), row.id, row.user_id, row.account_ref, secret, owner_chat)


def _rows(model, column, keys: list) -> list[tuple]:
    """(row, the owner's chat linked through it) for each account: for a Telegram bot, its
    owner's alert settings are joined in the same query."""
    if model is not TelegramBot:
        return [(row, None) for row in db.session.scalars(select(model).where(column.in_(keys)))]
    linked = and_(
        AlertSettings.user_id == TelegramBot.user_id, AlertSettings.bot_id == TelegramBot.bot_id
    )
    query = select(TelegramBot, AlertSettings.chat_id).outerjoin(AlertSettings, linked)
    return [tuple(row) for row in db.session.execute(query.where(column.in_(keys)))]


def _load(model, column, keys: list) -> dict:
    found = {}
    for row, owner_chat in _rows(model, column, keys):
        account = _account(row, owner_chat)
        if account is not None:
            found[getattr(row, column.key)] = account
    with _lock:
        for key, account in found.items():
            _cache[model.__tablename__, key] = account
    return found


def lookup(model, column, keys: list, fresh: bool = False) -> dict:
    """The accounts of `model` whose `column` is one of `keys`, by key (unknown keys absent)."""
    found: dict = {}
    if not fresh:
        with _lock:
            for key in keys:
                account = _cache.get((model.__tablename__, key))
                if account is not None:
                    found[key] = account
    missing = [key for key in keys if key not in found]
    if missing:
        found.update(_load(model, column, missing))
    return found


def verified(
    model, column, keys: list, check: Callable[[Account], bool]
) -> tuple[list[Account], bool]:
    """The accounts among `keys` whose secret verifies the delivery (`check`), and whether any
    account was found at all. A kept secret that fails is checked again against the database."""
    accounts = lookup(model, column, keys)
    trusted = [a for a in accounts.values() if check(a)]
    if not trusted and accounts:
        accounts = lookup(model, column, list(accounts), fresh=True)
        trusted = [a for a in accounts.values() if check(a)]
    return trusted, bool(accounts)


def note_messages(found: list[Account]) -> None:
    """Customers wrote to these accounts: their last_message_at, kept to the minute (one
    UPDATE per table for a batch of deliveries, each account at most once a minute per
    process, and only where the stored value is older)."""
    due: dict[type, list[int]] = {}
    with _lock:
        for account in found:
            key = (account.model.__tablename__, account.id)
            if key not in _noted:
                _noted[key] = time.monotonic()
                due.setdefault(account.model, []).append(account.id)
    now = utcnow()
    for model, ids in due.items():
        db.session.connection().execute(
            _noting(model),
            {"n_ids": ids, "n_now": now, "n_before": now - LAST_MESSAGE_PRECISION},
        )


@cache
def _noting(model):
    """note_messages' UPDATE for one model's table, built once (bound: n_ids, n_now,
    n_before)."""
    t = model.__table__
    stamp = t.c.last_message_at
    return (
        update(t)
        .where(
            t.c.id.in_(bindparam("n_ids", expanding=True)),
            or_(stamp.is_(None), stamp < bindparam("n_before", type_=stamp.type)),
        )
        .values(last_message_at=bindparam("n_now", type_=stamp.type))
    )


def forget_all() -> None:
    with _lock:
        _cache.clear()
        _noted.clear()


def _forget(_mapper, _connection, row) -> None:
    """This process changed or removed a connection: its next delivery reads the row again."""
    with _lock:
        for key, account in list(_cache.items()):
            if key[0] == row.__tablename__ and account.id == row.id:
                _cache.pop(key, None)


def _forget_owner(_mapper, _connection, row: AlertSettings) -> None:
    """An owner's alert chat was linked or unlinked here: their bots' entries are read again."""
    with _lock:
        for key, account in list(_cache.items()):
            if account.model is TelegramBot and account.user_id == row.user_id:
                _cache.pop(key, None)


for _model in _MODELS:
    event.listen(_model, "after_update", _forget)
    event.listen(_model, "after_delete", _forget)
for _name in ("after_insert", "after_update", "after_delete"):
    event.listen(AlertSettings, _name, _forget_owner)
