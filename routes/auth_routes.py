"""Register, log in and out, reset a forgotten password, account settings."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_url, login_user, logout_user

from core.tasks import enqueue
from extensions import db, limiter, login_manager
from forms.auth import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from models.base import utcnow
from models.user import User, make_reset_token, user_from_reset_token  # noqa: F401 (tests)
from outreach.owner_emails import send_password_reset, send_welcome
from routes.alert_routes import alerts_context
from routes.helpers import safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to open this page.")
login_manager.login_message_category = "info"


def _auth_limit() -> str:
    return current_app.config["AUTH_RATE_LIMIT"]


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _login_key() -> str:
    """The account a login form names (e-mail lower-cased, phone digits only): failures are
    counted per account too, whatever address they come from."""
    login = (request.form.get("login") or "").strip().lower()
    if "@" not in login:
        login = "".join(c for c in login if c.isascii() and c.isdigit())[-9:]
    return f"login:{login[:254]}"


def _failed(response) -> bool:
    # A successful login redirects; a refused one renders the form again.
    return response.status_code != 302


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    # The id carries a password tag: sessions from before a password change no longer load.
    user = User.from_session_id(session_id)
    if user is not None and not user.is_banned:
        return user
    # A ban takes effect at once: the banned owner's session stops working (a ban also moves
    # the session generation on), and the next page says why.
    user_id = (session_id or "").partition(":")[0]
    named = user or (
        db.session.get(User, int(user_id)) if user_id.isascii() and user_id.isdigit() else None
    )
    if named is not None and named.is_banned:
        g.banned_session = True
    return None


BLOCKED = _l("Your account has been blocked. Please contact support.")


@login_manager.unauthorized_handler
def unauthorized():
    """To the login page; a banned owner whose session just stopped is told why."""
    if g.pop("banned_session", False):
        logout_user()
        flash(BLOCKED, "danger")
        return redirect(url_for("auth.login"))
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, next_url=request.url))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
@limiter.limit(_register_limit, methods=["POST"], deduct_when=lambda r: r.status_code == 302)
def register():
    """Create an owner account; the 3-day trial starts at once."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        # The language the visitor has been reading (cookie, then Accept-Language, then uz).
        lang = str(get_locale())
        lang = lang if lang in current_app.config["LANGUAGES"] else "uz"
        user = User.register(
            form.full_name.data, form.email.data, form.phone.data, form.password.data, lang
        )
        db.session.commit()
        enqueue(send_welcome, user.id)
        login_user(user)
        flash(_("Welcome! Your free trial has started."), "success")
        return redirect(url_for("main.dashboard"))
    return render_template("register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_login_key, deduct_when=_failed)
def login():
    """Log in with e-mail or phone number."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = User.authenticate(form.login.data, form.password.data)
        if user is None:
            flash(_("Wrong e-mail, phone number or password."), "danger")
        elif user.is_banned:
            flash(BLOCKED, "danger")
        else:
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("main.dashboard"))
    return render_template("login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Log out (POST only, so a link cannot log anyone out). The account's session generation
    moves on, so a copied session or remember-me cookie stops working too."""
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def forgot_password():
    """Send a reset link; the same answer whether or not the address exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # Looked up and mailed in the background, so the answer takes as long either way.
        enqueue(send_password_reset, form.login.data.strip())
        flash(
            _(
                "If an account with this e-mail or phone number exists, we have sent a link to "
                "reset the password to its e-mail."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def reset_password(token: str):
    """Choose a new password from a signed, expiring link."""
    user = user_from_reset_token(token)
    if user is None:
        flash(_("This link is invalid or has expired. Please ask for a new one."), "danger")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        db.session.commit()
        flash(_("Your password has been changed. You can log in now."), "success")
        return redirect(url_for("auth.login"))
    return render_template("reset_password.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Name, phone and language; the password form posts to change_password."""
    form = ProfileForm(current_user, obj=current_user)
    if form.validate_on_submit():
        current_user.full_name = form.full_name.data.strip()
        current_user.phone = form.phone.data
        current_user.language = form.language.data
        db.session.commit()
        flash(_("Your settings have been saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template(
        "account.html",
        form=form,
        password_form=ChangePasswordForm(),
        **alerts_context(current_user),
    )


@bp.post("/account/sessions/end")
@login_required
def end_other_sessions():
    """Log out on every other device and browser; this one stays logged in."""
    current_user.end_sessions()
    db.session.commit()
    _login_again()
    flash(_("You have been logged out on all other devices."), "success")
    return redirect(url_for("auth.account"))


def _login_again() -> None:
    """Move this browser to the account's new session id, keeping its remember-me choice."""
    remembered = request.cookies.get(
        current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    )
    login_user(current_user._get_current_object(), remember=bool(remembered))


@bp.post("/account/password")
@login_required
def change_password():
    """Change the password after checking the current one."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        else:
            current_user.set_password(form.password.data)
            db.session.commit()
            # Other sessions end with the old password; this one moves to the new session id.
            _login_again()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.account"))
    profile = ProfileForm(current_user, obj=current_user)
    page = render_template(
        "account.html", form=profile, password_form=form, **alerts_context(current_user)
    )
    return page, 400
