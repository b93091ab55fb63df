"""The Personal Info forms. identity checks every value again; these catch the
obvious mistakes early and label the fields."""
from __future__ import annotations

from functools import lru_cache

import pycountry
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024  # identity's limit (docs/decisions/0003-identity.md)

# identity/handlers/reference.py's languages: (code, name in the language itself).
LANGUAGES = (
    ("en", "English"), ("de", "Deutsch"), ("es", "Español"), ("fr", "Français"), ("it", "Italiano"),
    ("ja", "日本語"), ("ko", "한국어"), ("pt", "Português"), ("ru", "Русский"), ("zh", "中文"),
)


@lru_cache(maxsize=1)
def countries() -> tuple[tuple[str, str], ...]:
    """(ISO 3166-1 alpha-2 code, English name), by name."""
    return tuple(sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda pair: pair[1]))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _text(label: str, max_length: int, required: str | None = None, **render_kw) -> StringField:
    validators = [DataRequired(required)] if required else [Optional()]
    validators.append(Length(max=max_length, message=f"Use at most {max_length} characters."))
    return StringField(label, validators=validators, filters=[_strip], render_kw=render_kw or None)


def _choices(pairs, placeholder: str):
    return [("", placeholder), *pairs]


class SettingsForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter your email address."),
            Length(max=254, message="Use at most 254 characters."),
            Email("Enter an email address like name@example.com."),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    phone = _text("Phone number", 40, "Enter your phone number.", autocomplete="tel", type="tel")
    line1 = _text("Address line 1", 200, "Enter the first line of your address.", autocomplete="address-line1")
    line2 = _text("Address line 2", 200, autocomplete="address-line2")
    city = _text("Town or city", 120, "Enter your town or city.", autocomplete="address-level2")
    region = _text("State, province or region", 120, autocomplete="address-level1")
    postal_code = _text("Postal code", 30, autocomplete="postal-code")
    country = SelectField(
        "Country", validators=[DataRequired("Choose your country.")], validate_choice=False,
        render_kw={"autocomplete": "country"},
    )
    company = _text("Company", 200, autocomplete="organization")
    preferred_language = SelectField(
        "Preferred language", validators=[DataRequired("Choose your preferred language.")], validate_choice=False,
    )
    # Only for a new email address (decision 0018); never filled back in.
    current_password = PasswordField(
        "Current password", validators=[Optional(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )

    ADDRESS = ("line1", "line2", "city", "region", "postal_code", "country")
    TOP_LEVEL = ("email", "phone", "company", "preferred_language")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = _choices(countries(), "Choose a country")
        self.preferred_language.choices = _choices(LANGUAGES, "Choose a language")

    def validate_country(self, field):
        if field.data and field.data not in dict(countries()):
            raise ValidationError("Choose a country from the list.")

    def validate_preferred_language(self, field):
        if field.data and field.data not in dict(LANGUAGES):
            raise ValidationError("Choose a language from the list.")

    def fill(self, profile: dict) -> None:
        for name in self.TOP_LEVEL:
            getattr(self, name).data = profile.get(name) or ""
        address = profile.get("address") or {}
        for name in self.ADDRESS:
            getattr(self, name).data = address.get(name) or ""

    def changes_from(self, profile: dict) -> dict:
        """Only what differs from `profile`; a changed address is sent whole."""
        changes = {}
        for name in self.TOP_LEVEL:
            value = getattr(self, name).data or None
            if value != (profile.get(name) or None):
                changes[name] = value
        current = profile.get("address") or {}
        address = {name: getattr(self, name).data or None for name in self.ADDRESS}
        if any(address[name] != (current.get(name) or None) for name in self.ADDRESS):
            changes["address"] = address
        return changes


class AttributesForm(FlaskForm):
    netacad_id = _text("NetAcad ID", 60, spellcheck="false")
    job_title = _text("Job title", 200, autocomplete="organization-title")

    FIELDS = ("netacad_id", "job_title")

    def fill(self, profile: dict) -> None:
        for name in self.FIELDS:
            getattr(self, name).data = profile.get(name) or ""

    def changes_from(self, profile: dict) -> dict:
        changes = {}
        for name in self.FIELDS:
            value = getattr(self, name).data or None
            if value != (profile.get(name) or None):
                changes[name] = value
        return changes


class NameChangeForm(FlaskForm):
    first_name = _text("New first name", 120, "Enter your first name as it is on your ID.", autocomplete="given-name")
    last_name = _text("New last name", 120, "Enter your last name as it is on your ID.", autocomplete="family-name")
    reason = TextAreaField(
        "Why is your name changing?",
        validators=[DataRequired("Say why your name is changing."), Length(max=1000, message="Use at most 1000 characters.")],
        filters=[_strip],
        render_kw={"rows": 3},
    )
    document = FileField(
        "Scan or photo of a government-issued photo ID",
        validators=[
            FileRequired("Choose the file with your ID document."),
            FileAllowed(["pdf", "jpg", "jpeg", "png"], "The document must be a PDF, JPEG or PNG file."),
            FileSize(max_size=MAX_DOCUMENT_BYTES, message="The document must be at most 5 MiB."),
        ],
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )


def _current_password() -> PasswordField:
    return PasswordField("Current password", validators=[Optional(), Length(max=1024)],
                         render_kw={"autocomplete": "current-password"})


class ReauthenticateForm(FlaskForm):
    """A change that needs the candidate to prove it is them (decision 0018):
    the current password, unless they logged in within 5 minutes."""

    current_password = _current_password()


class PasswordChangeForm(ReauthenticateForm):
    new_password = PasswordField(
        "New password",
        validators=[DataRequired("Choose a new password."), Length(max=128, message="Use at most 128 characters.")],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired("Enter the new password again."),
                    EqualTo("new_password", message="The two new passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
