"""The login and recovery forms (Flask-WTF: each carries its CSRF token)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

MIN_PASSWORD_LENGTH = 12  # identity's rule (docs/decisions/0003-identity.md)
MAX_PASSWORD_LENGTH = 128


def _email_field(label: str = "Email address", **kwargs) -> EmailField:
    return EmailField(
        label,
        validators=[
            DataRequired("Enter your email address."),
            Length(max=254, message="An email address is at most 254 characters."),
            Email("Enter an email address like name@example.com."),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
        **kwargs,
    )


class LoginForm(FlaskForm):
    login = StringField(
        "Candidate ID or email address",
        validators=[DataRequired("Enter your candidate ID or email address."), Length(max=254)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


class EmailForm(FlaskForm):
    email = _email_field()


class ForgotPasswordForm(FlaskForm):
    login = StringField(
        "Candidate ID or email address",
        validators=[DataRequired("Enter your candidate ID or email address."), Length(max=254)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"},
    )


class ScoreReportForm(FlaskForm):
    last_name = StringField(
        "Last name",
        validators=[DataRequired("Enter your last name as it is on your score report."), Length(max=120)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"autocomplete": "family-name"},
    )
    registration_number = StringField(
        "Registration number",
        validators=[DataRequired("Enter the registration number from your score report."), Length(max=60)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"autocomplete": "off", "spellcheck": "false", "inputmode": "text"},
    )
    new_email = _email_field("New email address")


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[
            DataRequired("Choose a password."),
            Length(
                min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
                message=f"Use between {MIN_PASSWORD_LENGTH} and {MAX_PASSWORD_LENGTH} characters.",
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Type the new password again",
        validators=[DataRequired("Type the password again."), EqualTo("password", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token: a button that changes something."""
