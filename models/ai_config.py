"""The owner's assistant settings, and the admin's platform-wide AI settings."""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from datetime import datetime

from cachetools import TTLCache
from flask import current_app
from sqlalchemy import ForeignKey, String, Text, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.crypto import decrypt, encrypt, mask
from extensions import db
from models.base import UTCDateTime, utcnow


class AIConfig(db.Model):
    """Per owner: bot name, business description, instructions, own OpenAI key (encrypted)."""

    __tablename__ = "ai_configs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    bot_name: Mapped[str | None] = mapped_column(String(80))
    business_description: Mapped[str | None] = mapped_column(Text)
    instructions: Mapped[str | None] = mapped_column(Text)
    default_language: Mapped[str] = mapped_column(String(2), default="uz")
    openai_key_encrypted: Mapped[str | None] = mapped_column(String(1000))
    openai_key_hint: Mapped[str | None] = mapped_column(String(16))
    openai_model: Mapped[str | None] = mapped_column(String(64))
    key_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    key_error: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @classmethod
    def for_user(cls, user_id: int) -> AIConfig:
        """The owner's settings, created with defaults on first use (safe when two answering
        threads create them at once)."""
        query = select(cls).where(cls.user_id == user_id)
        cfg = db.session.scalar(query)
        if cfg is None:
            try:
                with db.session.begin_nested():
                    cfg = cls(user_id=user_id, default_language="uz")
                    db.session.add(cfg)
            except IntegrityError:
                cfg = db.session.scalar(query)
        return cfg

    @property
    def has_own_key(self) -> bool:
        return bool(self.openai_key_encrypted)

    @property
    def openai_key(self) -> str | None:
        return decrypt(self.openai_key_encrypted) if self.openai_key_encrypted else None

    def set_openai_key(self, key: str | None) -> None:
        if key:
            self.openai_key_encrypted = encrypt(key.strip())
            self.openai_key_hint = mask(key.strip(), 4)
        else:
            self.openai_key_encrypted = self.openai_key_hint = None
        self.key_failed_at = self.key_error = None

    def mark_key_failed(self, detail: str) -> None:
        """OpenAI refused the key itself (revoked, invalid): skip it until a new key is saved."""
        self.key_failed_at, self.key_error = utcnow(), detail[:500]

    def mark_model_failed(self, model: str, detail: str) -> None:
        """The key works but this model id is not available to it: skip OpenAI until the model
        changes. The model id leads key_error, so no column is needed to tell the cases apart."""
        self.key_failed_at, self.key_error = utcnow(), f"[model:{model}] {detail}"[:500]

    def clear_key_failure(self) -> None:
        self.key_failed_at = self.key_error = None

    @property
    def _model_failure(self) -> re.Match | None:
        return _MODEL_FAILURE.match(self.key_error or "") if self.key_failed_at else None

    @property
    def key_problem(self) -> str | None:
        """None, "key" (OpenAI refused the key) or "model" (the model id is not available)."""
        if not self.key_failed_at:
            return None
        return "model" if self._model_failure else "key"

    @property
    def failed_model(self) -> str | None:
        """The model id OpenAI did not offer to this key, when key_problem is "model"."""
        found = self._model_failure
        return found["model"] if found else None

    @property
    def key_problem_reason(self) -> str:
        """The provider's reason, without the internal model marker."""
        found = self._model_failure
        return found["reason"] if found else (self.key_error or "")

    @property
    def fallback(self) -> str:
        """What answers while the owner's key or model is broken: "platform" or "offline"."""
        return "platform" if PlatformAI.has_platform_key() else "offline"


_MODEL_FAILURE = re.compile(r"\[model:(?P<model>[^\]]*)\] ?(?P<reason>.*)", re.S)


# The answering worker (pipeline/worker.py) asks for several settings and today's platform
# answer count with every message; they change rarely (the admin's page) or only grow. Within
# kept_reads() a session reads them through this process's cache, at most every KEPT_SECONDS;
# everything else (pages, commands, the scheduler's jobs) reads them afresh, and that read
# refreshes the cache. A change made in this process is seen here at once; one made in another
# process within KEPT_SECONDS.
KEPT_SECONDS = 5
_kept: TTLCache = TTLCache(maxsize=8, ttl=KEPT_SECONDS)
_kept_lock = threading.Lock()
_KEPT_READS = "kept_reads"


@contextmanager
def kept_reads():
    """Within this block the session reads the settings and the count through the cache."""
    info = db.session.info
    before, info[_KEPT_READS] = info.get(_KEPT_READS, False), True
    try:
        yield
    finally:
        info[_KEPT_READS] = before


def kept_value(key, read):
    """The value kept under `key` (within kept_reads()), or read now and kept."""
    if db.session.info.get(_KEPT_READS):
        with _kept_lock:
            found = _kept.get(key)
        if found is not None:
            return found
    value = read()
    with _kept_lock:
        _kept[key] = value
    return value


def keep_value(key, value) -> None:
    with _kept_lock:
        _kept[key] = value


def forget_kept(*_args) -> None:
    """Read the settings and the count afresh next time (a change here; tests)."""
    with _kept_lock:
        _kept.clear()


class Setting(db.Model):
    """Platform settings the admin can change at run time (env values are the defaults)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @classmethod
    def _all(cls) -> dict[str, str]:
        """Every setting's value, once per transaction (there are few, most keys are absent:
        env defaults); within kept_reads() through the cache above. Plain columns: building an
        object per row was most of the read."""
        cache = db.session.info.get("settings")
        if cache is None:
            kept = kept_value(
                "settings", lambda: dict(db.session.execute(select(cls.key, cls.value)).all())
            )
            cache = db.session.info["settings"] = dict(kept)  # put() changes only this copy
        return cache

    @classmethod
    def get(cls, key: str, default: str | None = None) -> str | None:
        value = cls._all().get(key)
        return value if value is not None else default

    @classmethod
    def put(cls, key: str, value: str) -> None:
        """Set a key: one upsert, so answering threads noting the same platform error at once
        never collide on the primary key (a plain INSERT of a key read as absent did)."""
        rows = cls._all()
        dialect = sqlite if db.engine.dialect.name == "sqlite" else postgresql
        now = utcnow()
        statement = dialect.insert(cls).values(key=key, value=value, updated_at=now)
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["key"], set_={"value": value, "updated_at": now}
            )
        )
        rows[key] = value
        forget_kept()


for _name in ("after_insert", "after_update", "after_delete"):
    event.listen(Setting, _name, forget_kept)


class PlatformAI:
    """The admin's AI choices, falling back to configuration."""

    @staticmethod
    def default_provider() -> str:
        return Setting.get("ai.default_provider", "gemini") or "gemini"

    @staticmethod
    def gemini_model() -> str:
        return Setting.get("ai.gemini_model") or current_app.config["GEMINI_MODEL"]

    @staticmethod
    def openai_model() -> str:
        return Setting.get("ai.openai_model") or current_app.config["OPENAI_MODEL"]

    @staticmethod
    def owner_keys_allowed() -> bool:
        return (Setting.get("ai.allow_owner_keys", "1") or "1") == "1"

    @staticmethod
    def has_platform_key() -> bool:
        """Whether any platform key is configured (else owners without a key get the offline
        engine)."""
        cfg = current_app.config
        return bool(cfg.get("GEMINI_API_KEY") or cfg.get("OPENAI_API_KEY"))

    @staticmethod
    def last_error() -> str | None:
        return Setting.get("ai.last_error")

    @staticmethod
    def record_error(provider: str, model: str, detail: str, kind: str = "") -> None:
        """The admin's notice (retired model, broken platform key), remembering what failed
        and its kind (an AIError kind, or "quota"), so the page can say it in words."""
        Setting.put("ai.last_error", f"{utcnow().isoformat(timespec='minutes')} {detail}"[:1000])
        Setting.put("ai.last_error_source", f"{provider}:{model}"[:1000])
        Setting.put("ai.last_error_kind", kind)

    @staticmethod
    def last_error_notice() -> dict | None:
        """The admin's notice in parts: when, which provider and model, its kind, the detail."""
        stored = Setting.get("ai.last_error")
        if not stored:
            return None
        stamp, _, detail = stored.partition(" ")
        try:
            at = datetime.fromisoformat(stamp)
        except ValueError:
            at, detail = None, stored
        provider, _, model = (Setting.get("ai.last_error_source") or "").partition(":")
        kind = Setting.get("ai.last_error_kind") or ""
        return {"at": at, "provider": provider, "model": model, "kind": kind, "detail": detail}

    @staticmethod
    def clear_error(provider: str | None = None, model: str | None = None) -> None:
        """Clear the admin's notice; with provider and model, only if that is what failed."""
        if provider is not None:
            source = Setting.get("ai.last_error_source")
            if not source or source != f"{provider}:{model}" or not Setting.get("ai.last_error"):
                return
        Setting.put("ai.last_error", "")
        Setting.put("ai.last_error_source", "")


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_settings(session: Session) -> None:
    """A new transaction reads the settings again (another process may have changed them)."""
    session.info.pop("settings", None)
