"""Knowledge-base upload and test-search forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
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
