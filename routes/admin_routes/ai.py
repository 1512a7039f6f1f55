"""Admin: the platform's AI model settings and a connection test."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ai import AIError, AIRequest, ChatTurn, ProviderSettings, generate
from extensions import db
from forms.ai import PlatformAIForm
from models.ai_config import PlatformAI, Setting
from routes.admin_routes.blueprint import bp, log_action
from routes.ai_errors import describe, notice_text, provider_label


def _current() -> dict:
    return {
        "default_provider": PlatformAI.default_provider(),
        "gemini_model": PlatformAI.gemini_model(),
        "openai_model": PlatformAI.openai_model(),
        "allow_owner_keys": PlatformAI.owner_keys_allowed(),
    }


@bp.route("/ai-model", methods=["GET", "POST"])
def ai_settings():
    """Default provider and model ids for owners without their own key."""
    form = PlatformAIForm(data=_current()) if request.method == "GET" else PlatformAIForm()
    if form.validate_on_submit():
        Setting.put("ai.default_provider", form.default_provider.data)
        Setting.put("ai.gemini_model", form.gemini_model.data.strip())
        Setting.put("ai.openai_model", form.openai_model.data.strip())
        Setting.put("ai.allow_owner_keys", "1" if form.allow_owner_keys.data else "0")
        log_action("ai_settings", None, **{k: form[k].data for k in _current()})
        db.session.commit()
        flash(_("The AI settings have been saved."), "success")
        return redirect(url_for("admin.ai_settings"))
    keys = {
        "gemini": bool(current_app.config["GEMINI_API_KEY"]),
        "openai": bool(current_app.config["OPENAI_API_KEY"]),
    }
    return render_template(
        "admin/ai_settings.html",
        form=form,
        keys=keys,
        notice=PlatformAI.last_error_notice(),
        notice_text=notice_text,
    )


@bp.post("/ai-model/test")
def ai_test():
    """Make one real call to the chosen provider and show the answer or its error in words."""
    provider = request.form.get("provider", "gemini")
    cfg = current_app.config
    key = cfg["OPENAI_API_KEY"] if provider == "openai" else cfg["GEMINI_API_KEY"]
    model = PlatformAI.openai_model() if provider == "openai" else PlatformAI.gemini_model()
    base = cfg["OPENAI_BASE_URL"] if provider == "openai" else cfg["GEMINI_BASE_URL"]
    settings = ProviderSettings(provider, key, model, base or None, cfg["AI_TIMEOUT_SECONDS"])
    try:
        result = generate(
            settings,
            AIRequest("Answer in one short sentence.", [ChatTurn("user", "Say hello.")], 40),
        )
    except AIError as err:
        flash(
            _(
                "The test call to %(provider)s (%(model)s) failed: %(reason)s",
                provider=provider_label(provider),
                model=model,
                reason=describe(err, model),
            ),
            "danger",
        )
    else:
        PlatformAI.clear_error()
        flash(
            _(
                "%(provider)s (%(model)s) answered in %(ms)s ms: %(text)s",
                provider=provider_label(provider),
                model=model,
                ms=result.latency_ms,
                text=result.text[:200],
            ),
            "success",
        )
    log_action("ai_test", None, provider=provider, model=model)
    db.session.commit()
    return redirect(url_for("admin.ai_settings"))
