"""Domain errors of the certs service (listed in expected_exceptions).

As in identity and exams: every error carries exactly one argument, a JSON
object (`exc.detail`, at least `message`), and `str(exc)` is that object as
JSON; the gateway maps them by class name (gateway/gateway/errors.py).
Field errors map a request field to a message a person can read.
"""
from __future__ import annotations

from certtrack_shared.errors import DomainError, FieldErrors


CHECK_FIELDS = "Check the highlighted fields."  # the message of a field error


class CertsError(DomainError):
    """Base of every error the certs service reports to its callers."""

    def __init__(self, detail: dict | None = None, message: str | None = None):
        detail = dict(detail or {})
        if message is not None:
            detail.setdefault("message", message)
        super().__init__(detail)


class FieldError(FieldErrors, CertsError):
    """An error about request fields; the detail maps field → message."""

    @property
    def fields(self) -> dict[str, str]:
        return {key: value for key, value in self.detail.items() if key != "message"}


class CandidateNotFound(CertsError):
    """No candidate with this id is known to certs: `{"candidate_id", "message"}`."""


class CertificationNotFound(CertsError):
    """Unknown certification id, or one of another program."""


class CertificateNotFound(CertsError):
    """No certificate has this code."""


class ActivityNotFound(CertsError):
    """No CE activity has this id."""


class CertificationNotActive(CertsError):
    """Logos and certificates exist only for an active certification."""


class AgreementRequired(CertsError):
    """Downloads wait until the current certification agreement is accepted."""


class AgreementVersionMismatch(CertsError):
    """Only the current agreement version can be accepted."""


class ActivityAlreadyReviewed(CertsError):
    """The activity was approved or rejected already."""


class InvalidSubmission(FieldError):
    """A CE activity submission with missing or invalid fields."""


class InvalidReview(FieldError):
    """An approval or rejection with missing or invalid fields (credits, reason, staff)."""


class InvalidRequest(FieldError):
    """Other RPC arguments that are missing or invalid."""


class CatalogInvalid(CertsError):
    """A reloaded catalog did not validate; the old one stays. `message` names file and line."""


class CredentialNotFound(CertsError):
    """No such credential, key, status list or issuer; `detail` says which."""


CANDIDATE_ERRORS = (
    CandidateNotFound, CertificationNotFound, CertificateNotFound, ActivityNotFound,
    CertificationNotActive, AgreementRequired, AgreementVersionMismatch, InvalidSubmission,
    InvalidRequest, CredentialNotFound,
)
# What anyone may ask without logging in: the public documents and verification of credentials.
PUBLIC_ERRORS = (CredentialNotFound, InvalidRequest)
STAFF_ERRORS = (
    ActivityNotFound, ActivityAlreadyReviewed, InvalidReview, CatalogInvalid, InvalidRequest,
    CertificationNotFound,
)
