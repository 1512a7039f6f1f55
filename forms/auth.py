"""Registration, login, password reset and account settings forms."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from core.phone import PhoneError, format_phone, normalize_phone
from extensions import db
from models.user import User


def Required() -> DataRequired:  # noqa: N802  (reads like the WTForms validators it wraps)
    return DataRequired(message=_l("This field is required."))


def ValidEmail() -> Email:  # noqa: N802
    return Email(message=_l("Enter a valid e-mail address."))


LANGUAGE_CHOICES = [
    SelectChoice("uz", "O‘zbekcha"),
    SelectChoice("ru", "Русский"),
    SelectChoice("en", "English"),
]


class PasswordLength:
    """Minimum password length from configuration, with a translated message."""

    def __call__(self, form, field) -> None:
        minimum = current_app.config["PASSWORD_MIN_LENGTH"]
        if len(field.data or "") < minimum:
            raise ValidationError(
                _l("The password must be at least %(n)s characters long.", n=minimum)
            )
        if len(field.data) > 256:
            raise ValidationError(_l("The password is too long."))


def validate_uz_phone(form, field) -> None:
    """Normalise the phone to E.164 in place, or explain what is wrong."""
    try:
        field.data = normalize_phone(field.data or "")
    except PhoneError as exc:
        if str(exc) == "country":
            raise ValidationError(_l("Only Uzbek numbers (+998) are accepted.")) from exc
        raise ValidationError(
            _l("Enter a valid Uzbek phone number, for example +998 90 123 45 67.")
        ) from exc


class _OwnerForm(FlaskForm):
    """The owner's name and phone, as registration and the account page ask for them."""

    full_name = StringField(
        _l("Full name"),
        validators=[
            Required(),
            Length(min=2, max=120, message=_l("Enter between 2 and 120 characters.")),
        ],
    )
    phone = StringField(_l("Phone number"), validators=[Required(), validate_uz_phone])


class RegisterForm(_OwnerForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            Required(),
            ValidEmail(),
            Length(max=254, message=_l("This value is too long.")),
        ],
    )
    password = PasswordField(_l("Password"), validators=[Required(), PasswordLength()])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[Required(), EqualTo("password", message=_l("The passwords do not match."))],
    )

    def validate_email(self, field) -> None:
        email = (field.data or "").strip().lower()
        if db.session.scalar(select(User.id).where(User.email == email)):
            raise ValidationError(_l("An account with this e-mail already exists."))

    def validate_phone(self, field) -> None:
        if db.session.scalar(select(User.id).where(User.phone == field.data)):
            raise ValidationError(_l("An account with this phone number already exists."))


class LoginForm(FlaskForm):
    login = StringField(
        _l("E-mail or phone"),
        validators=[Required(), Length(max=254, message=_l("This value is too long."))],
    )
    password = PasswordField(
        _l("Password"),
        validators=[Required(), Length(max=256, message=_l("This value is too long."))],
    )
    remember = BooleanField(_l("Remember me"))


class ForgotPasswordForm(FlaskForm):
    """The account's e-mail or phone number, written any way login accepts it."""

    login = StringField(
        _l("E-mail or phone"),
        validators=[Required(), Length(max=254, message=_l("This value is too long."))],
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[Required(), PasswordLength()])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[Required(), EqualTo("password", message=_l("The passwords do not match."))],
    )


class ProfileForm(_OwnerForm):
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)

    def __init__(self, user: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user
        if not self.phone.raw_data and self.phone.data:
            # Shown from the account (not typed): the readable form, which validation accepts.
            self.phone.data = format_phone(self.phone.data)

    def validate_phone(self, field) -> None:
        other = db.session.scalar(select(User.id).where(User.phone == field.data))
        if other and other != self._user.id:
            raise ValidationError(_l("An account with this phone number already exists."))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[Required()])
    password = PasswordField(_l("New password"), validators=[Required(), PasswordLength()])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[Required(), EqualTo("password", message=_l("The passwords do not match."))],
    )
