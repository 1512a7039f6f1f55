"""The owner's plan request form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from labels import PLAN_LABELS
from models.user import PLANS


class RequestAccessForm(FlaskForm):
    plan = RadioField(
        _l("Plan"),
        choices=[SelectChoice(key, PLAN_LABELS[key]) for key in PLANS],
        default="monthly",
        validators=[DataRequired(message=_l("Choose a plan."))],
    )
    coupon = StringField(
        _l("Coupon code"),
        validators=[Optional(), Length(max=40, message=_l("This value is too long."))],
    )
    note = TextAreaField(
        _l("Note for the administrator"),
        validators=[Optional(), Length(max=1000, message=_l("This value is too long."))],
    )
    apply_coupon = SubmitField(_l("Apply"))
    submit = SubmitField(_l("Send the request"))
