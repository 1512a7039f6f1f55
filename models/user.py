"""Owners and admins: identity, password, language, trial and plan dates, and the status."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_login import UserMixin
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Boolean, Integer, String, and_, case, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import UTCDateTime, utcnow

STATUSES = ("trial", "paid", "expired", "banned")
PLANS = ("monthly", "quarterly", "annual")
PLAN_DAYS = {"monthly": 30, "quarterly": 90, "annual": 365}

# argon2id with the RFC 9106 low-memory profile (above OWASP's minimum of m=19 MiB, t=2, p=1).
_HASHER = PasswordHasher()
# Tests hash hundreds of passwords; the cheapest legal parameters keep them fast.
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _hasher() -> PasswordHasher:
    return _FAST_HASHER if current_app.config.get("PASSWORD_HASH_FAST") else _HASHER


_DUMMY_HASHES: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash of a random password with the current parameters, made once per process."""
    hasher = _hasher()
    key = id(hasher)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[key]


class User(UserMixin, db.Model):
    """A business owner (or a platform admin when is_admin is set)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)  # stored lower-cased
    phone: Mapped[str] = mapped_column(String(16), unique=True, index=True)  # E.164
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(2), default="uz")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trial_ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    plan: Mapped[str | None] = mapped_column(String(16))
    plan_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    banned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    ban_reason: Mapped[str | None] = mapped_column(String(500))
    # Marketing: claimed atomically before each send (see models/marketing.py).
    last_marketing_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    marketing_unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    plan_reminder_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session id (see get_id): bumping it ends every session and remember cookie.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # --- construction --------------------------------------------------------------------
    @classmethod
    def register(cls, full_name: str, email: str, phone: str, password: str, language: str):
        """Create an owner whose trial starts now (no approval step)."""
        now = utcnow()
        user = cls(
            full_name=full_name.strip(),
            email=email.strip().lower(),
            phone=phone,
            language=language,
            created_at=now,
            trial_ends_at=now + timedelta(days=current_app.config["TRIAL_DAYS"]),
        )
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
        return user

    @classmethod
    def find_by_login(cls, login: str) -> User | None:
        """Find a user by e-mail (case-insensitive) or by a phone number typed any way."""
        from core.phone import PhoneError, normalize_phone

        login = (login or "").strip()
        if "@" in login:
            return db.session.scalar(select(cls).where(cls.email == login.lower()))
        try:
            phone = normalize_phone(login)
        except PhoneError:
            return None
        return db.session.scalar(select(cls).where(cls.phone == phone))

    @classmethod
    def authenticate(cls, login: str, password: str) -> User | None:
        """The user whose login and password these are. An unknown login still verifies a
        password against a dummy hash, so the answer takes as long either way (no enumeration
        by timing)."""
        user = cls.find_by_login(login)
        if user is None:
            with contextlib.suppress(VerificationError, InvalidHashError):
                _hasher().verify(_dummy_hash(), password)
            return None
        return user if user.check_password(password) else None

    # --- passwords -----------------------------------------------------------------------
    def set_password(self, password: str) -> None:
        self.password_hash = _hasher().hash(password)

    def check_password(self, password: str) -> bool:
        try:
            ok = _hasher().verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if ok and _hasher().check_needs_rehash(self.password_hash):
            # Only on login, which then starts a session on the new hash; other sessions of
            # this account end, as after a password change (see get_id).
            self.set_password(password)
        return ok

    # --- sessions ------------------------------------------------------------------------
    def _keyed_tag(self, purpose: str, extra: str = "") -> str:
        """A keyed digest of the password hash (and `extra`) for one purpose: it changes whenever
        the password does, and shows nothing of the hash itself."""
        key = current_app.config["SECRET_KEY"].encode()
        data = f"{purpose}:{self.password_hash}:{extra}".encode()
        return hmac.new(key, data, hashlib.sha256).hexdigest()[:24]

    def _password_tag(self) -> str:
        return self._keyed_tag("session", str(self.session_generation or 0))

    def get_id(self) -> str:
        """Flask-Login's id in the session and the remember cookie. It carries a tag of the
        password hash and the session generation, so a password change or reset, a logout, a
        ban or "log out on other devices" ends every other session and remember-me cookie."""
        return f"{self.id}:{self._password_tag()}"

    def end_sessions(self) -> None:
        """Revoke every session and remember cookie of this account (the caller commits)."""
        self.session_generation = (self.session_generation or 0) + 1

    @classmethod
    def from_session_id(cls, session_id: str) -> User | None:
        """The user a session id names, or None when it is malformed or the password changed."""
        user_id, _, tag = (session_id or "").partition(":")
        if not (user_id.isascii() and user_id.isdigit()) or not tag:
            return None
        user = db.session.get(cls, int(user_id))
        if user is None or not hmac.compare_digest(user._password_tag(), tag):
            return None
        return user

    # --- status --------------------------------------------------------------------------
    def status_at(self, now: datetime) -> str:
        """trial, paid, expired or banned: the one definition used everywhere."""
        if self.banned_at is not None:
            return "banned"
        if self.plan_expires_at is not None and self.plan_expires_at > now:
            return "paid"
        if self.trial_ends_at is not None and self.trial_ends_at > now:
            return "trial"
        return "expired"

    @property
    def status(self) -> str:
        return self.status_at(utcnow())

    @property
    def is_banned(self) -> bool:
        return self.banned_at is not None

    @property
    def can_be_served(self) -> bool:
        """Whether this owner's bot may answer customers right now."""
        return self.status in ("trial", "paid")

    @classmethod
    def status_clause(cls, status: str, now: datetime):
        """SQL condition matching status_at(now) == status, for lists and counts."""
        not_banned = cls.banned_at.is_(None)
        paid = and_(cls.plan_expires_at.is_not(None), cls.plan_expires_at > now)
        trial = cls.trial_ends_at > now
        return {
            "banned": cls.banned_at.is_not(None),
            "paid": and_(not_banned, paid),
            "trial": and_(not_banned, ~paid, trial),
            "expired": and_(
                not_banned, or_(cls.plan_expires_at.is_(None), cls.plan_expires_at <= now), ~trial
            ),
        }[status]

    @classmethod
    def status_expression(cls, now: datetime):
        """SQL CASE giving the status name, for grouping counts."""
        return case(
            (cls.banned_at.is_not(None), "banned"),
            (and_(cls.plan_expires_at.is_not(None), cls.plan_expires_at > now), "paid"),
            (cls.trial_ends_at > now, "trial"),
            else_="expired",
        )

    # --- bans ----------------------------------------------------------------------------
    def ban(self, reason: str) -> None:
        self.end_sessions()  # an unban later must not bring the old sessions back
        self.banned_at = utcnow()
        self.ban_reason = reason.strip()[:500]

    def unban(self) -> None:
        self.banned_at = None
        self.ban_reason = None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


# --- password-reset links ----------------------------------------------------------------
def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def make_reset_token(user: User) -> str:
    """A signed reset token; the keyed tag of the password hash makes it single-use (it stops
    matching once the password changes) and shows nothing of the hash."""
    return _reset_serializer().dumps({"id": user.id, "t": user._keyed_tag("password-reset")})


def user_from_reset_token(token: str) -> User | None:
    """The user a valid, unexpired, unused reset token belongs to."""
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or type(data.get("id")) is not int:
        return None
    user = db.session.get(User, data["id"])
    tag = data.get("t")
    if user is None or not isinstance(tag, str):
        return None
    if not hmac.compare_digest(user._keyed_tag("password-reset").encode(), tag.encode()):
        return None
    return user
