"""The dead-letter errors.

They follow the services' convention: one JSON-object argument (`detail`),
`str(exc)` is that object as JSON; the gateway maps them by class name
(gateway/gateway/errors.py).
"""
from __future__ import annotations

from certtrack_shared.errors import DomainError, FieldErrors


class DeadLetterError(DomainError):
    """Base of the dead-letter errors: one JSON-object argument, its `detail`."""


class DeadLetterNotFound(DeadLetterError):
    """No dead letter of this service has this id: `{"dead_letter_id": n}`."""


class DeadLetterAlreadyResolved(DeadLetterError):
    """It was replayed or discarded already: `{"status": …, "resolved_by": …}`."""


class InvalidDeadLetterCorrection(FieldErrors, DeadLetterError):
    """The body to replay fails its contract, or changes the event_id: `{"body": why}`."""


class InvalidDeadLetterRequest(FieldErrors, DeadLetterError):
    """A field of the request is missing or wrong: `{"reason": …}`, `{"staff": …}`, `{"status": …}`."""


ERRORS = (DeadLetterNotFound, DeadLetterAlreadyResolved, InvalidDeadLetterCorrection,
          InvalidDeadLetterRequest)
