"""Configuration classes, all read from the environment (and a local .env file)."""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
load_dotenv(BASE_DIR / ".env")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
DEFAULT_TRUSTED_PROXIES = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
DEV_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105 (refused in production)


def env(name: str, default=None, cast: type = str):
    """Read one setting from the environment, parsing booleans and numbers in one place."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    raw = raw.strip()
    if cast is bool:
        low = raw.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"{name} must be a boolean, got {raw!r}")
    if cast in (int, float):
        try:
            return cast(raw)
        except ValueError as exc:
            raise ValueError(f"{name} must be a number, got {raw!r}") from exc
    return raw


def normalize_db_url(url: str) -> str:
    """Render/Heroku give postgres:// or postgresql://: name the driver we ship, psycopg 3 (it
    prepares a statement run five times on a connection, so the webhook's and the answering's
    statements are planned once per connection, not on every execution). A URL naming psycopg2,
    which is not installed, is given the same driver."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(url: str, pool_size: int, max_overflow: int, prepare_threshold: int) -> dict:
    """SQLAlchemy engine options. hide_parameters: a failed statement's error (and so the log)
    never shows the values bound to it, which are customers' messages, tokens or password
    hashes. pool_use_lifo: the few connections in use at a time stay warm (each prepares every
    statement for itself); PostgreSQL's are pinged only when idle (extensions.py)."""
    options = {"pool_pre_ping": True, "hide_parameters": True, "pool_use_lifo": True}
    if url.startswith("postgresql"):
        options |= {
            "pool_pre_ping": False,
            "pool_size": pool_size,
            "max_overflow": max_overflow,
            "connect_args": {"prepare_threshold": prepare_threshold or None},
        }
    return options


def config_engine_options(config) -> dict:
    """The engine options an app's configuration asks for: its own, or those of its URI."""
    if config.get("SQLALCHEMY_ENGINE_OPTIONS") is not None:
        return config["SQLALCHEMY_ENGINE_OPTIONS"]
    return engine_options(
        config["SQLALCHEMY_DATABASE_URI"],
        config["DB_POOL_SIZE"],
        config["DB_MAX_OVERFLOW"],
        config["DB_PREPARE_THRESHOLD"],
    )


def database_url(default: str) -> str:
    """DATABASE_URL (normalised), or the default."""
    return normalize_db_url(env("DATABASE_URL") or default)


_ANSWER_THREADS = env("ANSWER_THREADS", 32, int)  # Config.ANSWER_THREADS; pool and AI size by it


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = env("SECRET_KEY", DEV_SECRET_KEY)
    FERNET_KEY = env("FERNET_KEY", "")  # comma-separated, newest first (MultiFernet)
    SQLALCHEMY_DATABASE_URI = database_url(f"sqlite:///{BASE_DIR / 'instance' / 'bilimbot.db'}")
    # Connections per process (PostgreSQL), opened as needed and kept, for every thread at once;
    # no overflow (closed when given back: with 10 + 20 that churn cost PostgreSQL a third of its
    # CPU under load). Processes x (pool + overflow) must fit the plan's limit (README).
    DB_POOL_SIZE = env("DB_POOL_SIZE", _ANSWER_THREADS + 6, int)
    DB_MAX_OVERFLOW = env("DB_MAX_OVERFLOW", 0, int)
    # psycopg 3 prepares a statement a connection has run this many times; 0 never does (for a
    # PgBouncer in transaction mode, where a connection's prepared statements are not its own).
    DB_PREPARE_THRESHOLD = env("DB_PREPARE_THRESHOLD", 5, int)
    # None: create_app derives them from the URI the app really uses (config_engine_options),
    # so a subclass that only changes SQLALCHEMY_DATABASE_URI gets the options of its database.
    SQLALCHEMY_ENGINE_OPTIONS: dict | None = None
    # `or`: an empty value copied from .env.example means the default.
    INSTANCE_DIR = env("INSTANCE_DIR") or str(BASE_DIR / "instance")
    UPLOAD_DIR = env("UPLOAD_DIR") or str(BASE_DIR / "instance" / "uploads")

    # Uploads: 10 MB files plus headroom for the multipart envelope and form fields.
    KB_MAX_FILE_BYTES = env("KB_MAX_FILE_BYTES", 10 * 1024 * 1024, int)
    MAX_CONTENT_LENGTH = KB_MAX_FILE_BYTES + 256 * 1024
    # Per process: text of the knowledge bases whose search indexes stay in memory (LRU).
    KB_INDEX_CACHE_MB = env("KB_INDEX_CACHE_MB", 30, int)

    # Accounts and languages
    TRIAL_DAYS = env("TRIAL_DAYS", 3, int)
    PASSWORD_MIN_LENGTH = env("PASSWORD_MIN_LENGTH", 8, int)
    PASSWORD_RESET_MAX_AGE = env("PASSWORD_RESET_MAX_AGE", 3600, int)
    LANGUAGES = ("uz", "ru", "en")
    BABEL_DEFAULT_LOCALE = "uz"
    BABEL_DEFAULT_TIMEZONE = "Asia/Tashkent"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANG_COOKIE = "lang"
    ADMIN_EMAIL = env("ADMIN_EMAIL", "admin@bilimbot.local")
    ADMIN_PASSWORD = env("ADMIN_PASSWORD", "")
    ADMIN_PHONE = env("ADMIN_PHONE", "+998900000000")

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Rate limits (Flask-Limiter); memory by default, Redis when REDIS_URL is set
    REDIS_URL = env("REDIS_URL", "")
    RATELIMIT_ENABLED = env("RATELIMIT_ENABLED", True, bool)
    # `or`: the empty value of .env.example must not mean "memory" when REDIS_URL is set, or each
    # worker process would count on its own.
    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    AUTH_RATE_LIMIT = env("AUTH_RATE_LIMIT", "10 per minute; 100 per hour")
    # Failed logins per account (whatever the address), and accounts created per address.
    LOGIN_ACCOUNT_RATE_LIMIT = env("LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute; 30 per hour")
    REGISTER_RATE_LIMIT = env("REGISTER_RATE_LIMIT", "5 per hour; 20 per day")
    # Each test-chat answer may spend the platform's AI key: a person typing needs no more.
    TEST_CHAT_RATE_LIMIT = env("TEST_CHAT_RATE_LIMIT", "20 per minute; 300 per day")
    # The website chat, per visitor address and widget: messages sent, and the page's polls
    # (one every few seconds while the chat is open, a few tabs at once).
    WIDGET_RATE_LIMIT = env("WIDGET_RATE_LIMIT", "10 per minute; 200 per day")
    WIDGET_POLL_RATE_LIMIT = env("WIDGET_POLL_RATE_LIMIT", "120 per minute")
    WIDGET_MAX_BYTES = env("WIDGET_MAX_BYTES", 16384, int)
    PROXY_FIX_HOPS = env("PROXY_FIX_HOPS", 0, int)  # 1 behind Render's proxy
    # Peers whose X-Forwarded-For is believed (comma-separated networks; private ones default).
    TRUSTED_PROXIES = env("TRUSTED_PROXIES", "") or DEFAULT_TRUSTED_PROXIES

    # E-mail (Flask-Mail). Gmail (smtp.gmail.com:587, TLS) when only MAIL_USERNAME and
    # MAIL_PASSWORD are set; with no credentials and no MAIL_SERVER, mail goes to the log.
    MAIL_USERNAME = env("MAIL_USERNAME", "")
    MAIL_PASSWORD = env("MAIL_PASSWORD", "")
    MAIL_SERVER = env("MAIL_SERVER", "") or (
        "smtp.gmail.com" if MAIL_USERNAME and MAIL_PASSWORD else ""
    )
    MAIL_PORT = env("MAIL_PORT", 587, int)
    MAIL_USE_TLS = env("MAIL_USE_TLS", True, bool)
    MAIL_USE_SSL = env("MAIL_USE_SSL", False, bool)
    MAIL_DEFAULT_SENDER = (
        env("MAIL_DEFAULT_SENDER", "") or MAIL_USERNAME or "noreply@bilimbot.local"
    )
    MAIL_TIMEOUT = env("MAIL_TIMEOUT", 20, int)
    # Log-only mode prints whole mails (reset links included) so `make run` shows them.
    MAIL_LOG_BODY = True

    # Public base URL of this site: webhooks and links in e-mails are built from it.
    WEBHOOK_BASE_URL = env("WEBHOOK_BASE_URL", "").rstrip("/")
    # Where `make run` / `python main.py` serve; e-mail links from background jobs fall back
    # to it when WEBHOOK_BASE_URL is empty.
    PORT = env("PORT", 5000, int)
    LOCAL_BASE_URL = f"http://127.0.0.1:{PORT}"

    # Background tasks: an in-process executor, or RQ when REDIS_URL is set.
    TASKS_EAGER = env("TASKS_EAGER", False, bool)
    TASK_WORKERS = env("TASK_WORKERS", 4, int)
    # Threads answering customers in each server process: they wait on AI and platform calls,
    # so there are many more of them than cores.
    ANSWER_THREADS = _ANSWER_THREADS
    # False: web processes only store and acknowledge; `flask messages work` processes answer
    # (without Redis; with REDIS_URL the RQ workers answer and this is not consulted).
    ANSWER_IN_WEB = env("ANSWER_IN_WEB", True, bool)
    SCHEDULER_ENABLED = env("SCHEDULER_ENABLED", True, bool)

    # AI providers (INTEGRATIONS.md): every model id and host is configuration.
    GEMINI_API_KEY = env("GEMINI_API_KEY", "")
    GEMINI_MODEL = env("GEMINI_MODEL", "gemini-3.5-flash-lite")
    GEMINI_BASE_URL = env("GEMINI_BASE_URL", "")
    OPENAI_API_KEY = env("OPENAI_API_KEY", "")
    OPENAI_MODEL = env("OPENAI_MODEL", "gpt-6-luna")
    OPENAI_BASE_URL = env("OPENAI_BASE_URL", "")
    AI_TIMEOUT_SECONDS = env("AI_TIMEOUT_SECONDS", 20.0, float)
    AI_RETRY_BACKOFF_SECONDS = env("AI_RETRY_BACKOFF_SECONDS", 2.0, float)
    # AI answers from the channels: per customer a minute, per owner an hour, and on the
    # platform's key a day (UTC; 0 means no limit). Over them the customer is asked to wait once.
    AI_CUSTOMER_PER_MINUTE = env("AI_CUSTOMER_PER_MINUTE", 8, int)
    AI_OWNER_PER_HOUR = env("AI_OWNER_PER_HOUR", 1000, int)
    PLATFORM_AI_DAILY_QUOTA = env("PLATFORM_AI_DAILY_QUOTA", 20000, int)
    # Calls at once to one AI provider from one process (the answering threads wait beyond it):
    # a process answers at most AI_CONCURRENCY / the provider's latency a second.
    AI_CONCURRENCY = env("AI_CONCURRENCY", _ANSWER_THREADS, int)
    # The question is translated into the knowledge base's languages before retrieval with a
    # light model (empty: the answering model) and a short timeout; failure → no translation.
    AI_TRANSLATE_GEMINI_MODEL = env("AI_TRANSLATE_GEMINI_MODEL", "")
    AI_TRANSLATE_OPENAI_MODEL = env("AI_TRANSLATE_OPENAI_MODEL", "")
    AI_TRANSLATE_TIMEOUT_SECONDS = env("AI_TRANSLATE_TIMEOUT_SECONDS", 4.0, float)
    # Voice notes and photos (pipeline/media.py): OpenAI's transcription model (Gemini reads
    # audio with GEMINI_MODEL), the largest file fetched, the longest voice note transcribed, and
    # the hosts an Instagram attachment URL may point at.
    OPENAI_TRANSCRIBE_MODEL = env("OPENAI_TRANSCRIBE_MODEL", "gpt-4o-mini-transcribe")
    MEDIA_MAX_BYTES = env("MEDIA_MAX_BYTES", 20 * 1024 * 1024, int)
    MEDIA_MAX_SECONDS = env("MEDIA_MAX_SECONDS", 120, int)
    INSTAGRAM_MEDIA_HOSTS = env("INSTAGRAM_MEDIA_HOSTS", "fbsbx.com,fbcdn.net,cdninstagram.com")

    # Messaging platforms
    TELEGRAM_API_BASE = env("TELEGRAM_API_BASE", "https://api.telegram.org")
    GRAPH_API_BASE = env("GRAPH_API_BASE", "https://graph.facebook.com")
    INSTAGRAM_API_BASE = env("INSTAGRAM_API_BASE", "") or GRAPH_API_BASE
    GRAPH_API_VERSION = env("GRAPH_API_VERSION", "v26.0")
    MESSAGING_TIMEOUT_SECONDS = env("MESSAGING_TIMEOUT_SECONDS", 10.0, float)
    # Webhook bodies read at most (Meta's and Telegram's real ones are a few KB) and accounts
    # one Meta delivery may name before any is looked up.
    WEBHOOK_MAX_BYTES = env("WEBHOOK_MAX_BYTES", 1024 * 1024, int)
    WEBHOOK_MAX_ACCOUNTS = env("WEBHOOK_MAX_ACCOUNTS", 20, int)
    INBOUND_MAX_AGE_SECONDS = env("INBOUND_MAX_AGE_SECONDS", 600, int)
    # Tries of a bot reply the platform refuses for now (flood control), spread over minutes.
    SEND_RETRY_ATTEMPTS = env("SEND_RETRY_ATTEMPTS", 6, int)
    # Tries to record a send's result while the database is away (0.5 s, 1 s, 2 s, then 5 s
    # apart: 10 tries ride out about 30 s), so a delivered reply is not settled as unconfirmed.
    RESULT_WRITE_ATTEMPTS = env("RESULT_WRITE_ATTEMPTS", 10, int)
    HUMAN_TAKEOVER_MINUTES = env("HUMAN_TAKEOVER_MINUTES", 60, int)
    # How often an open page asks for the inbox's unread count (the navbar badge).
    UNREAD_POLL_SECONDS = env("UNREAD_POLL_SECONDS", 30, int)

    # Plans and marketing (prices in UZS)
    PLAN_PRICE_MONTHLY = env("PLAN_PRICE_MONTHLY", 300_000, int)
    PLAN_PRICE_QUARTERLY = env("PLAN_PRICE_QUARTERLY", 810_000, int)
    PLAN_PRICE_ANNUAL = env("PLAN_PRICE_ANNUAL", 2_880_000, int)
    COUPON_DEFAULT_PERCENT = env("COUPON_DEFAULT_PERCENT", 10, int)
    MARKETING_INTERVAL_HOURS = env("MARKETING_INTERVAL_HOURS", 54, int)
    PLAN_REMINDER_DAYS = env("PLAN_REMINDER_DAYS", 3, int)

    # Self-serve payments (each rail is off until all its settings are present). Payme calls
    # {WEBHOOK_BASE_URL}/payments/payme with Basic auth Paycom:PAYME_KEY (the test or the live
    # key, as PAYME_TEST_MODE says); Click calls /payments/click/prepare and /complete.
    PAYME_MERCHANT_ID = env("PAYME_MERCHANT_ID", "")
    PAYME_KEY = env("PAYME_KEY", "")
    PAYME_TEST_MODE = env("PAYME_TEST_MODE", False, bool)
    PAYME_CHECKOUT_URL = env("PAYME_CHECKOUT_URL", "") or (
        "https://test.paycom.uz" if PAYME_TEST_MODE else "https://checkout.paycom.uz"
    )
    CLICK_SERVICE_ID = env("CLICK_SERVICE_ID", "")
    CLICK_MERCHANT_ID = env("CLICK_MERCHANT_ID", "")
    CLICK_SECRET_KEY = env("CLICK_SECRET_KEY", "")
    CLICK_PAY_URL = env("CLICK_PAY_URL", "https://my.click.uz/services/pay")

    LOG_LEVEL = env("LOG_LEVEL", "INFO")


class DevelopmentConfig(Config):
    """`make run` on a laptop or Replit: SQLite, no keys, e-mail to the log."""

    DEBUG = False


class TestingConfig(Config):
    """pytest: a throw-away database, no rate limits, tasks run inline, no scheduler."""

    TESTING = True
    SECRET_KEY = "testing-secret-key"  # noqa: S105 (tests only)
    FERNET_KEY = "YXJlLXRoZS10ZXN0cy1rZXktMzItYnl0ZXMtbG9uZyE="
    SQLALCHEMY_DATABASE_URI = normalize_db_url(env("TEST_DATABASE_URL") or "sqlite://")
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    TASKS_EAGER = True
    SCHEDULER_ENABLED = False
    MAIL_SERVER = ""
    GEMINI_API_KEY = ""
    OPENAI_API_KEY = ""
    REDIS_URL = ""
    WEBHOOK_BASE_URL = "https://bot.example.test"
    TELEGRAM_API_BASE = "http://127.0.0.1:9"  # closed port: tests pass a fake's URL explicitly
    GRAPH_API_BASE = "http://127.0.0.1:9"
    INSTAGRAM_API_BASE = "http://127.0.0.1:9"
    AI_RETRY_BACKOFF_SECONDS = 0.05
    AI_TRANSLATE_TIMEOUT_SECONDS = 1.0
    PASSWORD_HASH_FAST = True  # cheaper argon2 parameters keep the suite quick
    # Payments off unless a test turns a rail on (pointing it at a local fake).
    PAYME_MERCHANT_ID = PAYME_KEY = CLICK_SERVICE_ID = CLICK_MERCHANT_ID = CLICK_SECRET_KEY = ""


class ProductionConfig(Config):
    """Render: PostgreSQL, secure cookies, a real secret key required."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    PROXY_FIX_HOPS = env("PROXY_FIX_HOPS", 1, int)
    HSTS_ENABLED = True  # browsers then refuse plain http to this host for a year
    MAIL_LOG_BODY = False  # recipient and subject only: bodies carry reset links

    @classmethod
    def validate(cls) -> None:
        """Refuse to start with a missing or development secret key."""
        if not cls.SECRET_KEY or cls.SECRET_KEY == DEV_SECRET_KEY or len(cls.SECRET_KEY) < 32:
            raise RuntimeError("SECRET_KEY must be set to a random value of 32+ characters")
        if not cls.FERNET_KEY:
            raise RuntimeError("FERNET_KEY must be set in production (see .env.example)")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """Pick the configuration class named by APP_ENV (development by default)."""
    name = (env("APP_ENV") or "development").lower()
    if name not in CONFIGS:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}")
    return CONFIGS[name]
