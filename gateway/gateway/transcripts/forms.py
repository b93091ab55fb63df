"""The Transcripts tab's forms (each with its CSRF token)."""
from __future__ import annotations

from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

ALL_ACTIVE = "all_active"
CHOSEN = "chosen"


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TranscriptForm(FlaskForm):
    description = StringField("Description", validators=[DataRequired(), Length(max=200)])
    # A quarter by default: long enough for a hiring process, short enough to lapse on its own.
    valid_through = DateField("Expires after", validators=[InputRequired(message="Enter a date.")],
                              default=lambda: date.today() + timedelta(days=90))
    selection = RadioField("Certifications to show", default=ALL_ACTIVE, validators=[InputRequired()],
                           choices=[(ALL_ACTIVE, "All my active certifications"),
                                    (CHOSEN, "Only the certifications I choose below")])
    certifications = CheckboxList("Chosen certifications", choices=[], validate_choice=False)
    include_expired = BooleanField("Include expired and revoked certifications")
    include_exams = BooleanField("Include my passed exams")
    show_email = BooleanField("Show my email address")
    remarks = TextAreaField("Remarks", validators=[Optional(), Length(max=2000)])

    def validate_certifications(self, field):
        if self.selection.data == CHOSEN and not field.data:
            raise ValidationError("Choose at least one certification, or show all active ones.")

    def set_options(self, options: list[dict]) -> None:
        labels = {"active": "", "expired": " (expired)", "revoked": " (revoked)"}
        self.certifications.choices = [(o["id"], o["name"] + labels.get(o["status"], "")) for o in options]

    def to_request(self) -> dict:
        chosen = ALL_ACTIVE if self.selection.data == ALL_ACTIVE else list(self.certifications.data)
        return {
            "description": self.description.data or "",
            "valid_through": self.valid_through.data.isoformat(),
            "display": {"certifications": chosen, "include_expired": bool(self.include_expired.data),
                        "include_exams": bool(self.include_exams.data), "show_email": bool(self.show_email.data)},
            "remarks": self.remarks.data or "",
        }

    @classmethod
    def from_summary(cls, summary: dict, **kwargs) -> "TranscriptForm":
        display = summary["display"]
        chosen = display["certifications"]
        return cls(data={
            "description": summary["description"],
            "valid_through": date.fromisoformat(summary["valid_through"]),
            "selection": ALL_ACTIVE if chosen == ALL_ACTIVE else CHOSEN,
            "certifications": [] if chosen == ALL_ACTIVE else chosen,
            "include_expired": display["include_expired"], "include_exams": display["include_exams"],
            "show_email": display["show_email"], "remarks": summary["remarks"],
        }, **kwargs)


class ShareMailForm(FlaskForm):
    # Hidden once the page knows the access code (just created or regenerated), typed otherwise.
    access_code = StringField("Access code", validators=[DataRequired(), Length(max=64)])
    to = EmailField("Recipient's email address", validators=[DataRequired(), Email(), Length(max=320)])
    message = TextAreaField("Your message (optional)", validators=[Optional(), Length(max=2000)])
    action = HiddenField()
