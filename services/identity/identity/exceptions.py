"""Domain errors of the identity service (listed in each `expected_exceptions`).

How an error reaches the gateway
--------------------------------
Nameko sends a remote error as `exc_type` (the class name), `exc_args` and
`value` (= `str(exc)`); the gateway's client receives a `RemoteError` that
keeps only `exc_type` and `value`. So every error here carries exactly one
argument, a JSON object (`exc.args[0]`, also `exc.detail`), and `str(exc)` is
that object encoded as JSON. The gateway reads it with
`json.loads(remote_error.value)` (or from `exc_args[0]` where it sees them).

Two kinds of detail:
- **field errors** — the detail maps a request field to a message a person
  can read: `InvalidProfile({"email": "Enter a valid email address."})`,
  `WeakPassword({"password": …})`, `InvalidDocument({"document": …})`,
  `EmailTaken({"email": …})`, `EmailBelongsToAnotherCandidate({"new_email": …})`,
  `InvalidDecision({"reason": …})`. Nested address fields are dotted:
  `{"address.country": "Choose a country from the list."}`.
- **the rest** — the detail holds the error's attributes:
  `TooManyAttempts({"retry_after_seconds": 540})`,
  `LinkTokenInvalid({"reason": "expired"})` (`expired`, `used` or `unknown`),
  `CandidateNotFound({"candidate_id": …})`, `NotFound({"resource": "ticket"})`,
  `TicketAlreadyDecided({"status": "approved"})`, and `{}` where there is
  nothing to add (`InvalidCredentials`, `ScoreReportNotMatched`, …).

Nothing secret ever goes into a detail (no password, token or document).
"""
from __future__ import annotations

from certtrack_shared.errors import DomainError, FieldErrors


class IdentityError(DomainError):
    """Base of every error the identity service reports to its callers."""


class FieldError(FieldErrors, IdentityError):
    """An error about request fields; the detail maps field → message."""


# -- looking things up --------------------------------------------------------
class CandidateNotFound(IdentityError):
    """No candidate has this candidate ID."""

    def __init__(self, candidate_id: str | dict):
        detail = candidate_id if isinstance(candidate_id, dict) else {"candidate_id": candidate_id}
        super().__init__(detail)


class NotFound(IdentityError):
    """The thing asked for does not exist, or is not the caller's.

    Both answer the same, so one candidate cannot learn about another's
    tickets or identities by trying their ids.
    """

    def __init__(self, resource: str | dict):
        super().__init__(resource if isinstance(resource, dict) else {"resource": resource})

    @property
    def resource(self) -> str:
        return self.detail.get("resource", "")


# -- logging in ---------------------------------------------------------------
class InvalidCredentials(IdentityError):
    """Unknown login or wrong password (deliberately indistinguishable)."""


class TooManyAttempts(IdentityError):
    """Too many failed logins for this account or client address."""

    def __init__(self, retry_after_seconds: int | dict):
        if isinstance(retry_after_seconds, dict):
            super().__init__(retry_after_seconds)
        else:
            super().__init__({"retry_after_seconds": max(1, int(retry_after_seconds))})

    @property
    def retry_after_seconds(self) -> int:
        return int(self.detail["retry_after_seconds"])


class LinkTokenInvalid(IdentityError):
    """A mailed link that cannot be used: `reason` is expired, used or unknown."""

    REASONS = ("expired", "used", "unknown")

    def __init__(self, reason: str | dict):
        super().__init__(reason if isinstance(reason, dict) else {"reason": reason})

    @property
    def reason(self) -> str:
        return self.detail["reason"]


class WeakPassword(FieldError):
    """The new password breaks the password rules; detail `{"password": why}`."""

    def __init__(self, message: str | dict):
        super().__init__(message if isinstance(message, dict) else {"password": message})


# -- first-time login ---------------------------------------------------------
class ScoreReportNotMatched(IdentityError):
    """No candidate has this registration number with this last name."""


class EmailBelongsToAnotherCandidate(FieldError):
    """The new email is another candidate's: a support ticket is needed."""


# -- profile ------------------------------------------------------------------
class InvalidProfile(FieldError):
    """Profile fields missing or invalid; detail maps field → message."""


class EmailTaken(FieldError):
    """Another candidate of the program (or another staff user) has this email."""


class CannotUnlinkLastLogin(IdentityError):
    """Unlinking would leave the candidate no way to log in (no password)."""


class ReauthenticationRequired(FieldError):
    """Changing the email, the password or unlinking single sign-on needs the
    current password or a login in the last 5 minutes: `{"current_password": why}`."""


class ExternalIdentityTaken(IdentityError):
    """This single sign-on account is already another candidate's."""


# -- support tickets ----------------------------------------------------------
class InvalidDocument(FieldError):
    """The ID document is not a PDF/JPEG/PNG by content, or too big."""

    def __init__(self, message: str | dict):
        super().__init__(message if isinstance(message, dict) else {"document": message})


class InvalidDecision(FieldError):
    """A staff decision that cannot be applied (unknown decision, no reason)."""


class TicketAlreadyDecided(IdentityError):
    """The ticket was approved or rejected already."""

    def __init__(self, status: str | dict):
        super().__init__(status if isinstance(status, dict) else {"status": status})


class NotAuthorized(IdentityError):
    """The staff user does not exist, is inactive or lacks the role."""


CANDIDATE_ERRORS = (
    CandidateNotFound, NotFound, InvalidCredentials, TooManyAttempts, LinkTokenInvalid,
    WeakPassword, ScoreReportNotMatched, EmailBelongsToAnotherCandidate, InvalidProfile,
    EmailTaken, CannotUnlinkLastLogin, InvalidDocument, ReauthenticationRequired,
    ExternalIdentityTaken,
)
STAFF_ERRORS = CANDIDATE_ERRORS + (InvalidDecision, TicketAlreadyDecided, NotAuthorized)
