"""The forms of the certifications pages (each with its CSRF token)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_CREDENTIAL_CHARACTERS = 64 * 1024  # a pasted credential; certs reads no more from a badge either
KINDS = [("ce", "Continuing education activity (credits decided by our team)"),
         ("course", "Course completion certificate (renews the certification it is for)")]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AcceptAgreementForm(FlaskForm):
    # The version the candidate read: accepting fails if a newer one was published meanwhile.
    version = HiddenField(validators=[DataRequired(), Regexp(r"^[1-9][0-9]{0,8}$")])


class CeActivityForm(FlaskForm):
    title = StringField("Title of the activity", filters=[_strip], validators=[
        DataRequired("Enter the title of the activity."), Length(max=200, message="Use at most 200 characters.")])
    provider = StringField("Provider", filters=[_strip], validators=[
        DataRequired("Enter who provided the activity."), Length(max=200, message="Use at most 200 characters.")])
    completed_on = DateField("Completion date", validators=[
        DataRequired("Enter the completion date as on the certificate (YYYY-MM-DD).")])
    kind = RadioField("What is it?", choices=KINDS, default="ce",
                      validators=[DataRequired("Choose what the activity is.")])
    # Choices are the candidate's certifications, set by the view.
    certification_id = SelectField("Certification the course is for", choices=[], validate_choice=False,
                                   validators=[Optional()])
    document = FileField(
        "Certificate of completion",
        validators=[
            FileRequired("Choose the file with the certificate of completion."),
            FileAllowed(["pdf", "jpg", "jpeg", "png"], "The file must be a PDF, JPEG or PNG file."),
            FileSize(max_size=MAX_DOCUMENT_BYTES, message="The file must be at most 5 MB."),
        ],
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )


class VerifyCredentialForm(FlaskForm):
    """A credential pasted as text, or a badge image baked with one: the view asks for one of the two."""

    credential = TextAreaField("Paste the credential", filters=[_strip], validators=[
        Optional(), Length(max=MAX_CREDENTIAL_CHARACTERS, message="A credential is at most 64 KB of text.")],
        render_kw={"rows": 6, "spellcheck": "false", "autocomplete": "off"})
    badge = FileField(
        "Or upload a badge image",
        validators=[
            FileAllowed(["png", "svg"], "The badge must be a PNG or SVG image."),
            FileSize(max_size=MAX_DOCUMENT_BYTES, message="The badge image must be at most 5 MB."),
        ],
        render_kw={"accept": ".png,.svg,image/png,image/svg+xml"},
    )
