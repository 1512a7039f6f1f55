"""Admin forms: list filters (GET, no CSRF token) and actions (POST, CSRF-protected)."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forms.fields import LocaleDateField
from labels import LANGUAGE_NAMES, PLATFORM_LABELS, STATUS_LABELS
from models.admin_log import action_label
from models.queries.common import local_today
from models.queries.conversations import (
    CONVERSATION_STATUSES,
    CUSTOMER_PLATFORMS,
    ConversationFilters,
)

MAX_STATS_DAYS = 366


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _required():
    return DataRequired(message=_l("This field is required."))


def _too_long(n: int):
    return Length(max=n, message=_l("This value is too long."))


class GetForm(FlaskForm):
    """A filter form read from the query string: no CSRF token, invalid fields are ignored."""

    class Meta:
        csrf = False

    def clean(self) -> dict:
        """Field values, with any field that failed validation left empty."""
        self.validate()
        return {name: (None if f.errors else f.data) for name, f in self._fields.items()}


# --- filters -------------------------------------------------------------------------------
class UserFilterForm(GetForm):
    q = StringField(_l("Name, e-mail or phone"), validators=[Optional(), _too_long(100)])
    status = SelectField(
        _l("Status"),
        choices=_choices(
            [("", _l("All")), ("free", _l("Free (trial or expired)"))]
            + [(k, STATUS_LABELS[k]) for k in ("trial", "expired", "paid", "banned")]
        ),
        validate_choice=False,
    )
    platform = SelectField(
        _l("Channel"),
        choices=_choices(
            [("", _l("Any"))]
            + [(p, PLATFORM_LABELS[p]) for p in CUSTOMER_PLATFORMS]
            + [("none", _l("No channel"))]
        ),
        validate_choice=False,
    )
    kb = SelectField(
        _l("Knowledge base"),
        choices=_choices(
            [
                ("", _l("Any")),
                ("yes", _l("With a knowledge base")),
                ("no", _l("Without a knowledge base")),
            ]
        ),
        validate_choice=False,
    )
    sort = SelectField(
        _l("Sort by"),
        choices=_choices(
            [
                ("newest", _l("Newest first")),
                ("name", _l("Name")),
                ("trial_end", _l("Trial end")),
                ("plan_expiry", _l("Plan expiry")),
            ]
        ),
        validate_choice=False,
    )

    def filters(self) -> dict:
        data = self.clean()
        return {k: data[k] or "" for k in ("q", "status", "platform", "kb", "sort")}


class ConversationFilterForm(GetForm):
    q = StringField(_l("Search in messages"), validators=[Optional(), _too_long(200)])
    owner = StringField(
        _l("Owner (id, name, e-mail or phone)"), validators=[Optional(), _too_long(254)]
    )
    platform = SelectField(
        _l("Channel"),
        choices=_choices([("", _l("All"))] + [(p, label) for p, label in PLATFORM_LABELS.items()]),
    )
    language = SelectField(
        _l("Language"), choices=_choices([("", _l("All")), *list(LANGUAGE_NAMES.items())])
    )
    status = SelectField(
        _l("Status"),
        choices=_choices(
            [
                ("", _l("All")),
                ("served", _l("Served (the bot replied)")),
                ("failed", _l("Has a failed message")),
            ]
        ),
    )
    date_from = LocaleDateField(_l("From"), validators=[Optional()])
    date_to = LocaleDateField(_l("To"), validators=[Optional()])

    def filters(self) -> ConversationFilters:
        data = self.clean()
        status = data["status"] if data["status"] in CONVERSATION_STATUSES else ""
        return ConversationFilters(
            platform=data["platform"] or "",
            owner=data["owner"] or "",
            language=data["language"] or "",
            status=status,
            q=(data["q"] or "").strip(),
            date_from=data["date_from"],
            date_to=data["date_to"],
        )


# A day typed in the reader's format (ISO accepted): the statistics and inbox forms' name for it.
DayField = LocaleDateField


class StatsRangeForm(GetForm):
    """The statistics pages' days: the last 30 by default, at most MAX_STATS_DAYS, in order.

    A range that is not valid shows its error and the default range instead, never a 500."""

    date_from = DayField(_l("From"), validators=[Optional()])
    date_to = DayField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field) -> None:
        first, last = self.date_from.data, field.data
        if first is None or last is None or self.date_from.errors:
            return
        if first > last:
            raise ValidationError(_l("The start date is after the end date."))
        if (last - first).days >= MAX_STATS_DAYS:
            raise ValidationError(_l("Choose at most %(n)s days.", n=MAX_STATS_DAYS))

    def range(self):
        """The chosen days, or the default ones when the choice is not valid."""
        data = self.clean()
        if self.errors:
            data = {"date_from": None, "date_to": None}
        last = data["date_to"] or local_today()
        first = data["date_from"] or last - timedelta(days=29)
        if first > last:  # only a start date, in the future
            first, last = last, first
        if (last - first).days >= MAX_STATS_DAYS:  # only a start date, long ago
            first = last - timedelta(days=MAX_STATS_DAYS - 1)
        self.date_from.data, self.date_to.data = first, last
        return first, last

    @property
    def error_list(self) -> list[str]:
        return [str(e) for f in (self.date_from, self.date_to) for e in f.errors]


class LogFilterForm(GetForm):
    action = SelectField(_l("Action"), choices=_choices([("", _l("All"))]), validate_choice=False)
    admin = SelectField(_l("Admin"), choices=_choices([("", _l("All"))]), validate_choice=False)
    target = StringField(
        _l("Owner (id, name, e-mail or phone)"), validators=[Optional(), _too_long(254)]
    )

    def fill_choices(self, actions: list[str], admins: list) -> None:
        labelled = sorted(((a, action_label(a)) for a in actions), key=lambda p: str(p[1]).lower())
        self.action.choices = _choices([("", _l("All")), *labelled])
        self.admin.choices = _choices(
            [("", _l("All"))] + [(str(a.id), a.full_name) for a in admins]
        )

    def filters(self) -> dict:
        data = self.clean()
        admin = data["admin"] or ""
        return {
            "action": data["action"] or "",
            "admin_id": int(admin)
            if admin.isascii() and admin.isdigit() and len(admin) <= 18
            else None,
            "target": data["target"] or "",
        }


# --- actions -------------------------------------------------------------------------------
class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class BanForm(FlaskForm):
    reason = StringField(
        _l("Reason"),
        validators=[_required(), _too_long(500)],
        description=_l("Kept in the admin log; the owner is told their account is blocked."),
    )


class EmailUserForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[_required(), _too_long(200)])
    body = TextAreaField(_l("Message"), validators=[_required(), _too_long(5000)])


class MessageCustomerForm(FlaskForm):
    text = TextAreaField(
        _l("Message to the customer"),
        validators=[_required(), _too_long(2000)],
        render_kw={"placeholder": "Sizning botingizga yangi savollar qo‘shildi"},
    )


class BroadcastForm(FlaskForm):
    platform = SelectField(
        _l("Channel"), choices=_choices([(p, PLATFORM_LABELS[p]) for p in CUSTOMER_PLATFORMS])
    )
    text = TextAreaField(_l("Message to every customer"), validators=[_required(), _too_long(2000)])


class AnnouncementForm(FlaskForm):
    subject_uz = StringField(_l("Subject (Uzbek)"), validators=[_required(), _too_long(200)])
    body_uz = TextAreaField(_l("Text (Uzbek)"), validators=[_required(), _too_long(5000)])
    subject_ru = StringField(_l("Subject (Russian)"), validators=[Optional(), _too_long(200)])
    body_ru = TextAreaField(_l("Text (Russian)"), validators=[Optional(), _too_long(5000)])
    subject_en = StringField(_l("Subject (English)"), validators=[Optional(), _too_long(200)])
    body_en = TextAreaField(_l("Text (English)"), validators=[Optional(), _too_long(5000)])
    audience = SelectField(
        _l("Audience"),
        choices=_choices(
            [
                ("all", _l("All owners")),
                ("trial", _l("Owners on a trial")),
                ("paid", _l("Paying owners")),
                ("expired", _l("Owners whose trial or plan has ended")),
            ]
        ),
    )
    send_email = BooleanField(_l("Also send it by e-mail"), default=True)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for lang in ("ru", "en"):
            subject, body = self[f"subject_{lang}"], self[f"body_{lang}"]
            # A translation is all or nothing: a subject without a text would show half a banner.
            if bool((subject.data or "").strip()) != bool((body.data or "").strip()):
                missing = body if (subject.data or "").strip() else subject
                missing.errors = [*missing.errors, _l("Fill in both the subject and the text.")]
                ok = False
        return ok

    def values(self) -> dict:
        return {
            name: (self[name].data or "").strip() or None
            for name in ("subject_uz", "body_uz", "subject_ru", "body_ru", "subject_en", "body_en")
        } | {"audience": self.audience.data, "send_email": bool(self.send_email.data)}
