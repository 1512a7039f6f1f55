"""Connecting channels; the inbox's filters, replying to a customer by hand, saved replies."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from channels.widget import MAX_ORIGINS, OriginError, parse_origins
from forms.admin import DayField, GetForm
from forms.auth import LANGUAGE_CHOICES
from labels import LANGUAGE_NAMES, PLATFORM_LABELS
from models.canned_reply import TEXT_MAX, TITLE_MAX
from models.queries.conversations import INBOX_STATUSES, ConversationFilters


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


def _origin_message(error: OriginError) -> str:
    if error.code == "not_https":
        return str(
            _l(
                "“%(entry)s”: a website must use https (plain http is allowed only for "
                "localhost, to try the chat out).",
                entry=error.entry,
            )
        )
    if error.code == "too_many":
        return str(_l("List at most %(n)s websites.", n=MAX_ORIGINS))
    return str(
        _l("“%(entry)s” is not a website address, e.g. shop.uz or https://www.shop.uz.",
           entry=error.entry)
    )  # fmt: skip


class WidgetForm(FlaskForm):
    """The website chat: on or off, and the sites that may show it (normalised in `origins`)."""

    enabled = BooleanField(_l("Show the chat on my website"))
    domains = TextAreaField(
        _l("Websites allowed to show the chat"),
        validators=[Length(max=4000, message=_l("This value is too long."))],
        render_kw={"placeholder": "shop.uz\nhttps://www.shop.uz"},
    )
    origins: tuple[str, ...] = ()  # set by validate_domains

    def validate_domains(self, field) -> None:
        try:
            self.origins = tuple(parse_origins(field.data or ""))
        except OriginError as error:
            raise ValidationError(_origin_message(error)) from None
        if self.enabled.data and not self.origins:
            raise ValidationError(_l("List at least one website where the chat will be shown."))


class ReplyForm(FlaskForm):
    text = TextAreaField(
        _l("Your message"),
        validators=[_required(), Length(max=4000, message=_l("This value is too long."))],
    )


class CannedReplyForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[_required(), Length(max=TITLE_MAX, message=_l("This value is too long."))],
        description=_l("Only you see it, in the list of saved replies."),
    )
    text = TextAreaField(
        _l("Reply text"),
        validators=[_required(), Length(max=TEXT_MAX, message=_l("This value is too long."))],
    )


class InboxFilterForm(GetForm):
    """The owner's inbox filters (query string; an invalid field is ignored)."""

    q = StringField(
        _l("Search in messages"),
        validators=[Optional(), Length(max=200, message=_l("This value is too long."))],
    )
    platform = SelectField(
        _l("Channel"),
        choices=[SelectChoice("", _l("All"))]
        + [SelectChoice(p, label) for p, label in PLATFORM_LABELS.items()],
    )
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("unread", _l("Unread")),
            SelectChoice("answering", _l("The bot is answering")),
            SelectChoice("paused", _l("Bot paused")),
            SelectChoice("needs_human", _l("Needs a person")),
        ],
    )
    language = SelectField(
        _l("Language"),
        choices=[SelectChoice("", _l("All"))]
        + [SelectChoice(k, v) for k, v in LANGUAGE_NAMES.items()],
    )
    date_from = DayField(_l("From"), validators=[Optional()], name="from")
    date_to = DayField(_l("To"), validators=[Optional()], name="to")

    def filters(self, user_id: int) -> ConversationFilters:
        data = self.clean()
        return ConversationFilters(
            user_id=user_id,
            platform=data["platform"] or "",
            language=data["language"] or "",
            status=data["status"] if data["status"] in INBOX_STATUSES else "",
            q=(data["q"] or "").replace("\x00", "").strip(),
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
