"""Admin forms for plan requests, direct plan assignment and coupons."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from forms.fields import LocaleDateField
from labels import PLAN_LABELS
from models.user import PLANS


def _plan_choices() -> list[SelectChoice]:
    return [SelectChoice(key, PLAN_LABELS[key]) for key in PLANS]


class ApproveRequestForm(FlaskForm):
    plan = SelectField(_l("Plan"), choices=_plan_choices())


class RejectRequestForm(FlaskForm):
    reason = StringField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Give a reason; the owner will see it.")),
            Length(max=500, message=_l("This value is too long.")),
        ],
    )


class AssignPlanForm(FlaskForm):
    plan = SelectField(_l("Plan"), choices=_plan_choices())
    amount = IntegerField(
        _l("Amount due (soum)"),
        validators=[
            Optional(),
            NumberRange(min=0, max=10**10, message=_l("Enter a number from 0 upwards.")),
        ],
        description=_l("Leave empty for the list price."),
    )
    next = HiddenField()


class CouponForm(FlaskForm):
    percent = IntegerField(
        _l("Discount, %"),
        validators=[
            DataRequired(message=_l("This field is required.")),
            NumberRange(min=1, max=100, message=_l("Enter a number from 1 to 100.")),
        ],
    )
    max_uses = IntegerField(
        _l("Maximum uses"),
        validators=[
            Optional(),
            NumberRange(min=1, max=100000, message=_l("Enter a number from 1 upwards.")),
        ],
        description=_l("Leave empty for unlimited."),
    )
    expires_on = LocaleDateField(
        _l("Valid until (inclusive)"),
        validators=[Optional()],
        description=_l("Leave empty for no end date."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.percent.data is None and not self.is_submitted():
            self.percent.data = current_app.config["COUPON_DEFAULT_PERCENT"]

    def validate_expires_on(self, field) -> None:
        today = datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()
        if field.data is not None and field.data < today:
            raise ValidationError(_l("The date must not be in the past."))
