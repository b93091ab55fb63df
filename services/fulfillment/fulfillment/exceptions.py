"""Domain errors of the fulfillment service (listed in expected_exceptions).

As in the other services: every error carries one JSON object (`exc.detail`)
and `str(exc)` is that object as JSON. Field errors map a request field to a
sentence a person can read. Nothing about a card beyond what the processor
said of it ("your card was declined") goes into a detail.
"""
from __future__ import annotations

from certtrack_shared.errors import DomainError, FieldErrors


class FulfillmentError(DomainError):
    """Base of every error the fulfillment service reports to its callers."""


class FieldError(FieldErrors, FulfillmentError):
    """An error about request fields; the detail maps field → message."""


class InvalidOrder(FieldError):
    """The order request is missing or has invalid fields (items, address, card…)."""


class PaymentDeclined(FieldError):
    """The card was refused; `{"card": "<why, in plain words>"}`. No order, no charge."""


class PaymentUnavailable(FieldError):
    """The payment processor could not be reached or gave no clear answer: `{"card": …}`. No order;
    a retry of the same checkout charges at most once (the same idempotency key)."""


class TooManyDeclinedPayments(FulfillmentError):
    """Too many declined payments lately for this candidate or client address (declines.py):
    `{"retry_after_seconds": n}`. Nothing was sent to the processor."""

    @property
    def retry_after_seconds(self) -> int:
        return int(self.detail["retry_after_seconds"])


class OrderNotFound(FulfillmentError):
    """No order with this id — also what a candidate gets for another's order: `{"order_id": …}`."""


class OrderNotCancellable(FulfillmentError):
    """Only an order not yet shipped can be cancelled: `{"order_id": …, "status": …}`."""


class RefundNotAllowed(FulfillmentError):
    """Only a cancelled (or rejected), paid, not yet refunded order is refunded: `{"order_id", "reason"}`."""


class InvalidStatusCorrection(FieldError):
    """A staff status correction without a valid status, a reason or a staff name."""


ORDER_ERRORS = (InvalidOrder, PaymentDeclined, PaymentUnavailable, TooManyDeclinedPayments, OrderNotFound,
                OrderNotCancellable)
STAFF_ERRORS = (OrderNotFound, RefundNotAllowed, InvalidStatusCorrection, InvalidOrder)
