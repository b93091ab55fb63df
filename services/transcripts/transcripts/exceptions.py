"""Domain errors of the transcripts service (listed in expected_exceptions).

As in the other services: every error carries one argument, a JSON object
(`exc.detail`), and `str(exc)` is that object as JSON. Nothing secret goes
into a detail: never an access code.
"""
from __future__ import annotations

from certtrack_shared.errors import DomainError, FieldErrors


class TranscriptsError(DomainError):
    """Base of every error the transcripts service reports to its callers."""


class InvalidTranscript(FieldErrors, TranscriptsError):
    """Missing or invalid fields of a transcript, a share mail or a verification; field → message."""


class TranscriptNotFound(TranscriptsError):
    """No such transcript — also the answer for another candidate's, and for a wrong
    access code (deliberately indistinguishable from an unknown code): `{}`."""


class TranscriptInactive(TranscriptsError):
    """The transcript was deactivated, or its valid-through date has passed:
    `{"state": "deactivated" | "expired"}`. Verification says only that."""


class TooManyAttempts(TranscriptsError):
    """Too many wrong access codes for this transcript code or from this client
    address (or too many share mails): `{"retry_after_seconds": n}`."""


CANDIDATE_ERRORS = (InvalidTranscript, TranscriptNotFound, TranscriptInactive, TooManyAttempts)
