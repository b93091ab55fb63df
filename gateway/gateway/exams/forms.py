"""The one form of Testing History: accepting the exam agreement (with its CSRF token)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp


class AcceptAgreementForm(FlaskForm):
    # The version the candidate read: accepting it fails if a newer one was published meanwhile.
    version = HiddenField(validators=[DataRequired(), Regexp(r"^[1-9][0-9]{0,8}$")])
