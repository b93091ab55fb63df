"""Domain errors of the exams service (listed in expected_exceptions).

As in identity (services/identity/identity/exceptions.py): every error carries
exactly one argument, a JSON object (`exc.detail`), and `str(exc)` is that
object as JSON, which the gateway reads from the RemoteError's `value`.
Field errors map a request field to a message a person can read; the others
hold the error's attributes.
"""
from __future__ import annotations

from certtrack_shared.errors import DomainError, FieldErrors


class ExamsError(DomainError):
    """Base of every error the exams service reports to its callers."""


class FieldError(FieldErrors, ExamsError):
    """An error about request fields; the detail maps field → message."""


# -- exam agreements (exams/handlers/agreements.py) --------------------------------------
class AgreementNotFound(ExamsError):
    """The program has no exam agreement (or not that version): `{"program": …}`."""


class AgreementVersionNotCurrent(ExamsError):
    """Only the current version can be accepted:
    `{"program": …, "requested_version": n, "current_version": m}`."""


class InvalidAgreement(FieldError):
    """Agreement RPC arguments that are missing or invalid (program, version, title, body)."""


AGREEMENT_ERRORS = (AgreementNotFound, AgreementVersionNotCurrent, InvalidAgreement)


# -- vendor API keys (exams/handlers/vendor_keys.py) ---------------------------------------
class InvalidVendorKey(ExamsError):
    """The key is unknown, malformed or revoked (deliberately indistinguishable); `{}`."""


class VendorKeyExpired(ExamsError):
    """The key is valid but past its expiry: `{"expired_at": …}`. Only its holder can
    learn this, so it is told apart (docs/decisions/0013-vendor-key-scope.md)."""


class VendorKeyNotFound(ExamsError):
    """No vendor key has this id: `{"key_id": n}`."""


class InvalidVendorKeyRequest(FieldError):
    """Creating or revoking a key with missing or invalid fields
    (vendor, label, programs, expires_at, staff)."""


VENDOR_KEY_ERRORS = (InvalidVendorKey, VendorKeyExpired, VendorKeyNotFound, InvalidVendorKeyRequest)


# -- vendors' broker users (exams/handlers/vendor_senders.py) --------------------------------
class VendorSenderNotFound(ExamsError):
    """No broker user of that name is registered: `{"broker_user": …}`."""


class InvalidVendorSenderRequest(FieldError):
    """Registering or removing a broker user with missing or invalid fields
    (broker_user, vendor, programs, staff)."""


VENDOR_SENDER_ERRORS = (VendorSenderNotFound, InvalidVendorSenderRequest)
