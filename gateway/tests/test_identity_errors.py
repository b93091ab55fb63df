"""Every error identity can raise has a line in the gateway's errors table,
with a fitting status and code and words a person can read."""
from __future__ import annotations

import re

import pytest
from identity import exceptions

from gateway.errors import ERRORS, REMOTE_FIELD_ERRORS

IDENTITY_ERRORS = sorted(exceptions.STAFF_ERRORS, key=lambda cls: cls.__name__)


def test_the_staff_errors_include_every_candidate_error_and_every_error_class():
    defined = {
        cls for cls in vars(exceptions).values()
        if isinstance(cls, type) and issubclass(cls, exceptions.IdentityError)
        and cls not in (exceptions.IdentityError, exceptions.FieldError)
    }
    assert set(exceptions.CANDIDATE_ERRORS) <= set(exceptions.STAFF_ERRORS)
    assert defined == set(exceptions.STAFF_ERRORS)


@pytest.mark.parametrize("error", IDENTITY_ERRORS, ids=lambda cls: cls.__name__)
def test_each_identity_error_is_mapped_to_a_4xx_with_a_stable_code_and_plain_words(error):
    problem = ERRORS.get(error.__name__)

    assert problem is not None, f"add {error.__name__} to gateway/gateway/errors.py ERRORS"
    assert 400 <= problem.status < 500
    assert re.fullmatch(r"[a-z][a-z0-9_]+", problem.code)
    # Pages show the title and message as they are: no API jargon in them.
    assert "`" not in problem.message and "fields" not in problem.message
    assert problem.title and problem.message.endswith(".")


@pytest.mark.parametrize("error", IDENTITY_ERRORS, ids=lambda cls: cls.__name__)
def test_field_errors_and_only_they_carry_fields(error):
    assert (error.__name__ in REMOTE_FIELD_ERRORS) == issubclass(error, exceptions.FieldError)


@pytest.mark.parametrize("name, status, code", [
    ("InvalidCredentials", 401, "invalid_credentials"),
    ("TooManyAttempts", 429, "too_many_attempts"),
    ("CandidateNotFound", 404, "candidate_not_found"),
    ("NotFound", 404, "not_found"),
    ("InvalidProfile", 422, "invalid_profile"),
    ("EmailTaken", 409, "email_taken"),
    ("LinkTokenInvalid", 410, "link_token_invalid"),
    ("WeakPassword", 422, "weak_password"),
    ("ScoreReportNotMatched", 404, "score_report_not_matched"),
    ("EmailBelongsToAnotherCandidate", 409, "email_belongs_to_another_candidate"),
    ("InvalidDocument", 422, "invalid_document"),
    ("CannotUnlinkLastLogin", 409, "cannot_unlink_last_login"),
    ("NotAuthorized", 403, "not_authorized"),
    ("TicketAlreadyDecided", 409, "ticket_already_decided"),
    ("InvalidDecision", 422, "invalid_decision"),
])
def test_statuses_and_codes_are_those_docs_decisions_0003_promises(name, status, code):
    assert (ERRORS[name].status, ERRORS[name].code) == (status, code)
