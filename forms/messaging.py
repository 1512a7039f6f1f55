"""Connecting channels, and replying to a customer by hand."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from forms.auth import LANGUAGE_CHOICES


def _required():
    return DataRequired(message=_l("This field is required."))


DIGITS = Regexp(r"[0-9]{3,30}\Z", message=_l("Enter the numeric id exactly as Meta shows it."))


class TelegramForm(FlaskForm):
    token = PasswordField(
        _l("Bot token from @BotFather"),
        validators=[
            _required(),
            Regexp(
                r"[0-9]{5,15}:[A-Za-z0-9_-]{30,60}\Z",
                message=_l("This does not look like a Telegram bot token."),
            ),
        ],
    )
    default_language = SelectField(_l("Default language for customers"), choices=LANGUAGE_CHOICES)


class TelegramLanguageForm(FlaskForm):
    default_language = SelectField(_l("Default language for customers"), choices=LANGUAGE_CHOICES)


class WhatsAppForm(FlaskForm):
    phone_number_id = StringField(_l("Phone number ID"), validators=[_required(), DIGITS])
    waba_id = StringField(_l("WhatsApp Business Account ID"), validators=[_required(), DIGITS])
    app_id = StringField(_l("App ID"), validators=[_required(), DIGITS])
    access_token = PasswordField(
        _l("Access token (System User, permanent)"),
        validators=[Optional(), Length(min=20, max=1000)],
    )
    app_secret = PasswordField(_l("App secret"), validators=[Optional(), Length(min=16, max=100)])


class InstagramForm(FlaskForm):
    ig_account_id = StringField(
        _l("Instagram business account ID"), validators=[_required(), DIGITS]
    )
    page_id = StringField(_l("Facebook Page ID"), validators=[Optional(), DIGITS])
    access_token = PasswordField(
        _l("Page access token"), validators=[Optional(), Length(min=20, max=1000)]
    )
    app_secret = PasswordField(_l("App secret"), validators=[Optional(), Length(min=16, max=100)])


class ReplyForm(FlaskForm):
    text = TextAreaField(
        _l("Your message"),
        validators=[_required(), Length(max=4000, message=_l("This value is too long."))],
    )
