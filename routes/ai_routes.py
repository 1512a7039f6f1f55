"""The owner's assistant settings: name, description, instructions, language, own OpenAI key."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ai import AIError, ProviderSettings, check_key
from extensions import db
from forms.ai import AssistantForm, OpenAIKeyForm
from models.ai_config import AIConfig, PlatformAI
from routes.ai_errors import describe
from routes.helpers import require_login

bp = Blueprint("ai", __name__, url_prefix="/assistant")


require_login(bp)


@bp.route("/", methods=["GET", "POST"])
def settings():
    """Assistant name, business description, instructions, Telegram language, model id."""
    cfg = AIConfig.for_user(current_user.id)
    form = AssistantForm(obj=cfg)
    if form.validate_on_submit():
        old_model = cfg.openai_model
        form.populate_obj(cfg)
        cfg.openai_model = (form.openai_model.data or "").strip() or None
        if cfg.key_problem == "model" and cfg.openai_model != old_model:
            cfg.clear_key_failure()  # the next message tries OpenAI with the new model id
        db.session.commit()
        flash(_("The assistant settings have been saved."), "success")
        return redirect(url_for("ai.settings"))
    db.session.commit()  # keeps the settings row created on first visit
    return render_template(
        "ai_settings.html",
        form=form,
        key_form=OpenAIKeyForm(),
        cfg=cfg,
        owner_keys_allowed=PlatformAI.owner_keys_allowed(),
    )


@bp.post("/openai-key")
def save_key():
    """Check the key with one cheap call, then store it encrypted."""
    cfg = AIConfig.for_user(current_user.id)
    form = OpenAIKeyForm()
    if not PlatformAI.owner_keys_allowed():
        flash(_("Using your own OpenAI key is switched off on this platform."), "warning")
    elif form.validate_on_submit():
        settings = ProviderSettings(
            "openai",
            form.api_key.data.strip(),
            cfg.openai_model or PlatformAI.openai_model(),
            current_app.config["OPENAI_BASE_URL"] or None,
            current_app.config["AI_TIMEOUT_SECONDS"],
        )
        try:
            check_key(settings)
        except AIError as err:
            _key_check_failed(cfg, settings, err)
        else:
            cfg.set_openai_key(settings.api_key)
            db.session.commit()
            flash(
                _("Your OpenAI key has been checked and saved. Your assistant now uses OpenAI."),
                "success",
            )
    else:
        flash(next(iter(form.errors.values()))[0], "danger")
    return redirect(url_for("ai.settings"))


def _key_check_failed(cfg: AIConfig, settings: ProviderSettings, err: AIError) -> None:
    """Say what was wrong: the key (not saved), the model (key saved, model flagged) or the
    connection (nothing saved, try again)."""
    if err.kind == "auth":
        flash(
            _("OpenAI did not accept this key: %(reason)s", reason=describe(err, settings.model)),
            "danger",
        )
    elif err.kind == "model_not_found":
        cfg.set_openai_key(settings.api_key)
        cfg.mark_model_failed(settings.model, str(err))
        db.session.commit()
        flash(
            _(
                "Your OpenAI key works and has been saved, but the model %(model)s is not "
                "available to it. Enter another model id in the settings and save.",
                model=settings.model,
            ),
            "warning",
        )
    else:
        flash(
            _(
                "The key could not be checked with OpenAI: %(reason)s. Please try again.",
                reason=describe(err, settings.model),
            ),
            "danger",
        )


@bp.post("/openai-key/remove")
def remove_key():
    """Forget the owner's key; the assistant goes back to the platform default."""
    AIConfig.for_user(current_user.id).set_openai_key(None)
    db.session.commit()
    flash(_("Your OpenAI key has been removed."), "success")
    return redirect(url_for("ai.settings"))
