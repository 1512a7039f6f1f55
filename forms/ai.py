"""The owner's assistant settings and the admin's platform AI settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from forms.auth import LANGUAGE_CHOICES

MODEL_ID = Regexp(r"[A-Za-z0-9._:/-]*\Z", message=_l("Use only letters, digits and . _ : / -"))


def _too_long() -> str:
    return _l("This value is too long.")


class AssistantForm(FlaskForm):
    bot_name = StringField(
        _l("Assistant name"), validators=[Optional(), Length(max=80, message=_too_long())]
    )
    business_description = TextAreaField(
        _l("About your business"),
        validators=[Optional(), Length(max=800, message=_too_long())],
    )
    instructions = TextAreaField(
        _l("Instructions (tone, what to say when unsure)"),
        validators=[Optional(), Length(max=1500, message=_too_long())],
    )
    default_language = SelectField(_l("Default language on Telegram"), choices=LANGUAGE_CHOICES)
    openai_model = StringField(
        _l("OpenAI model (with your own key)"),
        validators=[Optional(), Length(max=64, message=_too_long()), MODEL_ID],
    )


class OpenAIKeyForm(FlaskForm):
    api_key = PasswordField(
        _l("Your OpenAI API key"),
        validators=[
            DataRequired(message=_l("This field is required.")),
            Length(min=20, max=300, message=_l("This does not look like an OpenAI API key.")),
        ],
    )


class PlatformAIForm(FlaskForm):
    default_provider = SelectField(
        _l("Default provider for owners without their own key"),
        choices=[SelectChoice("gemini", "Gemini"), SelectChoice("openai", "OpenAI")],
    )
    gemini_model = StringField(
        _l("Gemini model"), validators=[DataRequired(), Length(max=64), MODEL_ID]
    )
    openai_model = StringField(
        _l("OpenAI model"), validators=[DataRequired(), Length(max=64), MODEL_ID]
    )
    allow_owner_keys = BooleanField(_l("Owners may use their own OpenAI keys"))
