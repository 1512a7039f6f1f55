"""Landing page, dashboard, language switch, health check."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import text

from extensions import db
from models.ai_config import AIConfig
from models.billing import latest_plan_request
from models.channel import channels_for
from models.knowledge_base import KnowledgeBase
from models.owner_answer import KnowledgeGap
from models.queries.announcements import announcements_for
from routes.helpers import safe_next

bp = Blueprint("main", __name__)


def select_locale() -> str:
    """The user's saved language, then the language cookie, then Accept-Language, then uz."""
    langs = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user.is_authenticated and current_user.language in langs:
        return current_user.language
    cookie = request.cookies.get(current_app.config["LANG_COOKIE"])
    if cookie in langs:
        return cookie
    return request.accept_languages.best_match(langs) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


@bp.get("/")
def index():
    """Landing page for business owners."""
    return render_template("index.html")


@bp.post("/language")
def set_language():
    """Switch the interface language (saved on the account when logged in)."""
    lang = request.form.get("lang", "")
    target = safe_next(request.form.get("next")) or url_for("main.index")
    response = redirect(target)
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie(
            current_app.config["LANG_COOKIE"], lang, max_age=365 * 24 * 3600, samesite="Lax"
        )
        if current_user.is_authenticated:
            current_user.language = lang
            db.session.commit()
    return response


@bp.get("/dashboard")
@login_required
def dashboard():
    """The owner's home: status, knowledge base, channels, test chat."""
    if current_user.is_admin and "admin.dashboard" in current_app.view_functions:
        return redirect(url_for("admin.dashboard"))
    return render_template(
        "dashboard.html",
        user=current_user,
        kb=KnowledgeBase.active_for(current_user.id),
        channels=channels_for(current_user.id),
        ai_config=AIConfig.for_user(current_user.id),
        plan_request=latest_plan_request(current_user.id),
        announcements=announcements_for(current_user),
        gaps_this_week=KnowledgeGap.count_this_week(current_user.id),
    )


@bp.get("/favicon.ico")
def favicon():
    """Browsers and bots that ask for /favicon.ico get the icon the pages link to."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.get("/healthz")
def healthz():
    """Liveness and database check for Render's health check."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
