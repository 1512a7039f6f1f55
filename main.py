"""Application factory. `gunicorn main:app` serves `app`; `python main.py` runs it locally."""

from __future__ import annotations

import logging
import os
import sys

from flask import Flask
from flask_babel import gettext

from config import Config, ProductionConfig, config_engine_options, config_from_env
from core.proxy import TrustedProxyFix
from extensions import babel, csrf, db, limiter, login_manager, mail, migrate, ping_idle_connections
from kb.extract.errors import set_translator
from models import search

# The application's own packages and top-level modules (their loggers write to stdout).
APP_PACKAGES = (
    "ai",
    "channels",
    "commands",
    "core",
    "kb",
    "models",
    "outreach",
    "payments",
    "pipeline",
    "routes",
    "scheduler",
    "text",
    "worker",
)


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the app; no side effects (no migrations, network or scheduler here)."""
    config_class = config_class or config_from_env()
    if issubclass(config_class, ProductionConfig):
        config_class.validate()
    app = Flask(__name__)
    app.config.from_object(config_class)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config_engine_options(app.config)
    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_security(app)
    register_template_helpers(app)
    register_commands(app)
    register_webhook_acknowledger(app)
    if app.config["PROXY_FIX_HOPS"]:
        app.wsgi_app = TrustedProxyFix(
            app.wsgi_app, app.config["PROXY_FIX_HOPS"], app.config["TRUSTED_PROXIES"]
        )
    return app


def configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("bilimbot")
    root.handlers[:] = [handler]
    root.setLevel(app.config["LOG_LEVEL"])
    root.propagate = False
    for name in APP_PACKAGES:
        logging.getLogger(name).handlers[:] = [handler]
        logging.getLogger(name).setLevel(app.config["LOG_LEVEL"])
    # httpx logs full request URLs, and Telegram puts the bot token in the URL.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def register_extensions(app: Flask) -> None:
    from routes.main_routes import select_locale, select_timezone

    db.init_app(app)
    if not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
        with app.app_context():  # a pool that does not ping on every checkout (PostgreSQL's)
            ping_idle_connections(db.engine)
    migrate.init_app(app, db, render_as_batch=True, include_name=search.include_name)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    # The knowledge-base parser is a library: the app gives it its translator.
    set_translator(gettext)
    import models  # noqa: F401  (registers every model with SQLAlchemy)


def register_blueprints(app: Flask) -> None:
    from routes import BLUEPRINTS
    from routes.security import BigIdConverter, IdConverter

    # Before any rule is added: ids beyond their column's range are 404 from the router.
    app.url_map.converters.update(int=IdConverter, bigint=BigIdConverter)
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)


def register_error_handlers(app: Flask) -> None:
    from routes.errors import register

    register(app)


def register_security(app: Flask) -> None:
    from routes.security import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from routes.template_helpers import register

    register(app)


def register_webhook_acknowledger(app: Flask) -> None:
    """The webhooks' POSTs are answered in front of Flask's request machinery (see there)."""
    from routes.messaging_routes.webhooks import Acknowledger

    app.wsgi_app = Acknowledger(app, app.wsgi_app)


def register_commands(app: Flask) -> None:
    from commands import register

    register(app)


app = create_app()

if __name__ == "__main__":
    # Replit's Run button and `python main.py`: the development server on $PORT (5000 by default),
    # with the in-process scheduler and answer dispatcher (never started by create_app, so tests
    # and CLI stay quiet).
    from pipeline.dispatch import start_for_server
    from scheduler import start_scheduler

    start_scheduler(app)
    start_for_server(app)
    host = os.environ.get("HOST", "0.0.0.0")  # noqa: S104 (Replit serves on all interfaces)
    app.run(host=host, port=int(os.environ.get("PORT", "5000")))
