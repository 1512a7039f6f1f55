"""Owners and admins: identity, password, language, trial and plan dates, and the status."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_login import UserMixin
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Boolean, String, and_, case, or_, select
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
    def _password_tag(self) -> str:
        """A keyed digest of the password hash: it changes whenever the password does."""
        key = current_app.config["SECRET_KEY"].encode()
        return hmac.new(key, self.password_hash.encode(), hashlib.sha256).hexdigest()[:24]

    def get_id(self) -> str:
        """Flask-Login's id in the session and the remember cookie. It carries the password tag,
        so a password change or reset ends every other session and remember-me cookie."""
        return f"{self.id}:{self._password_tag()}"

    @classmethod
    def from_session_id(cls, session_id: str) -> User | None:
        """The user a session id names, or None when it is malformed or the password changed."""
        user_id, _, tag = (session_id or "").partition(":")
        if not user_id.isdigit() or not tag:
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
    """A signed reset token; the hash tail makes it single-use (it stops matching once the
    password changes)."""
    return _reset_serializer().dumps({"id": user.id, "h": user.password_hash[-16:]})


def user_from_reset_token(token: str) -> User | None:
    """The user a valid, unexpired, unused reset token belongs to."""
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("id")) if isinstance(data, dict) else None
    if user is None or user.password_hash[-16:] != data.get("h"):
        return None
    return user
