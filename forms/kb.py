"""Knowledge-base upload and test-search forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class UploadForm(FlaskForm):
    file = FileField(
        _l("File (PDF, DOCX, CSV or TXT, up to 10 MB)"),
        validators=[FileRequired(message=_l("Choose a file to upload."))],
    )


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only GET form

    q = StringField(
        _l("Question"),
        validators=[DataRequired(message=_l("This field is required.")), Length(max=500)],
    )


class OwnerAnswerForm(FlaskForm):
    """A question and the answer the owner wants the bot to give (a correction, or by hand)."""

    question = TextAreaField(
        _l("Customer's question"),
        validators=[
            DataRequired(message=_l("This field is required.")),
            Length(max=500, message=_l("Write at most %(max)d characters.")),
        ],
    )
    answer = TextAreaField(
        _l("The right answer"),
        validators=[
            DataRequired(message=_l("This field is required.")),
            Length(max=2000, message=_l("Write at most %(max)d characters.")),
        ],
    )
    message_id = HiddenField()
    gap_id = HiddenField()
