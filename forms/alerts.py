"""The owner's alert switches on the account page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TimeField
from wtforms.validators import InputRequired


class AlertSettingsForm(FlaskForm):
    notify_customers = BooleanField(
        _l("A customer asks for a person, or the bot could not answer the same question 3 times")
    )
    notify_channels = BooleanField(
        _l("A channel stops working (token rejected, webhook errors, 24-hour window refusals)")
    )
    notify_plan = BooleanField(_l("My plan ends in 3 days, and when it has ended"))
    notify_summary = BooleanField(_l("A daily summary"))
    summary_time = TimeField(
        _l("Time of the daily summary (Tashkent)"),
        validators=[InputRequired(message=_l("Enter a time, for example 20:00."))],
    )
