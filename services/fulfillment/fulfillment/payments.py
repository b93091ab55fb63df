"""Card payments behind one small interface, chosen by configuration.

CertTrack never sees a card (docs/decisions/0017-card-data-never-reaches-certtrack.md):
the checkout page hands the card to the processor from the browser and the
order carries only the processor's token for it, a payment method (`pm_…`).

`PaymentProcessor` is what the order rules call: `charge` authorizes and
captures a payment method in one step, `refund` gives (part of) a charge
back; both take an idempotency key, so a retried call (a double click, nameko
re-running an RPC after a crash between reply and ack) charges or refunds
once and answers the same result. `PAYMENT_PROCESSOR` in config.yml names the
class by dotted path (`package.module.Class`); it is built with the service's
config. A real processor (Stripe, Adyen…) is one more class with these two
methods.

`SandboxPaymentProcessor`, the default, charges through the project's local
payment sandbox (deploy/payment_sandbox, a processor's test mode over HTTP:
Stripe's test cards and ready-made test tokens such as `pm_card_visa`). Only
brand, last four digits and the processor's reference come back.
"""
from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
import logging
from dataclasses import dataclass

import requests
from nameko.extensions import DependencyProvider

log = logging.getLogger(__name__)

DEFAULT_PROCESSOR = "fulfillment.payments.SandboxPaymentProcessor"
DEFAULT_SANDBOX_URL = "http://127.0.0.1:8002"
DEFAULT_SANDBOX_SECRET_KEY = "sk_test_certtrack_sandbox"


@dataclass(frozen=True)
class Charge:
    reference: str
    amount_cents: int
    currency: str
    brand: str
    last4: str
    # The charge's state now, also when an idempotent retry answers an earlier
    # charge: orders never rest on a charge that was given back.
    refunded_cents: int = 0

    @property
    def refunded(self) -> bool:
        return self.refunded_cents > 0


@dataclass(frozen=True)
class Refund:
    reference: str
    charge_reference: str
    amount_cents: int


class CardDeclined(Exception):
    """The processor refused the payment method: `code` (Stripe's decline codes), a sentence for
    the candidate, and the card's brand and last four digits when the processor says them."""

    def __init__(self, code: str, message: str, brand: str | None = None, last4: str | None = None):
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.brand = brand
        self.last4 = last4


class RefundFailed(Exception):
    pass


class ProcessorUnavailable(Exception):
    """The processor could not be reached or did not answer as it should. Whether it charged is
    unknown: a retry with the same idempotency key finds out, and charges at most once."""


class PaymentProcessor(ABC):
    """The interface; see the module docstring."""

    @abstractmethod
    def charge(self, amount_cents: int, currency: str, payment_method: str, idempotency_key: str) -> Charge:
        """Authorize and capture the payment method (the processor's `pm_…` token); CardDeclined
        when the processor refuses, ProcessorUnavailable when it cannot say.

        A key already used answers that earlier charge as it is now, refunds
        included (a processor whose replay echoes the first response, as
        Stripe's does, must fetch the charge to fill `refunded_cents`).
        """

    @abstractmethod
    def refund(self, reference: str, amount_cents: int, idempotency_key: str) -> Refund:
        """Give (part of) a charge back; RefundFailed when the processor refuses."""

    def close(self) -> None:
        """Release connections when the service stops; nothing to release by default."""


# -- the sandbox ----------------------------------------------------------------------------
class SandboxPaymentProcessor(PaymentProcessor):
    """Charges through the payment sandbox's HTTP API (deploy/payment_sandbox/app.py), as a
    Stripe client would: the secret key in `Authorization`, the idempotency key in a header.

    A replayed charge answers as it first did (`Idempotent-Replayed`), so its current state,
    refunds included, is read back before it is reported.
    """

    def __init__(self, config: dict):
        self.url = str(config.get("PAYMENT_SANDBOX_URL") or DEFAULT_SANDBOX_URL).rstrip("/")
        self.secret_key = str(config.get("PAYMENT_SANDBOX_SECRET_KEY") or DEFAULT_SANDBOX_SECRET_KEY)
        self.timeout = float(config.get("PAYMENT_TIMEOUT_SECONDS") or 15)

    def charge(self, amount_cents, currency, payment_method, idempotency_key):
        answer = self._call("POST", "/v1/charges", idempotency_key,
                            {"amount": amount_cents, "currency": currency.lower(), "payment_method": payment_method})
        error = _error_of(answer)
        if answer.status_code == 402 and error.get("message"):
            card = (error.get("payment_method") or {}).get("card") or {}
            raise CardDeclined(error.get("decline_code") or error.get("code") or "card_declined", error["message"],
                               card.get("brand"), card.get("last4"))
        if answer.status_code == 400 and error.get("code") == "resource_missing":
            # A token the processor does not know (made up, or from another account): refused like a card.
            raise CardDeclined("invalid_payment_method",
                               "We could not use these card details. Please enter your card again.")
        body = self._expect(answer, "charge")
        if answer.headers.get("Idempotent-Replayed") == "true":
            body = self._expect(self._call("GET", f"/v1/charges/{body['id']}"), "charge")
        card = body["payment_method_details"]["card"]
        return Charge(body["id"], body["amount"], body["currency"].upper(), card["brand"], card["last4"],
                      body["amount_refunded"])

    def refund(self, reference, amount_cents, idempotency_key):
        try:
            answer = self._call("POST", "/v1/refunds", idempotency_key, {"charge": reference, "amount": amount_cents})
            if answer.status_code in (400, 404):
                raise RefundFailed(_error_of(answer).get("message") or f"refund refused ({answer.status_code})")
            body = self._expect(answer, "refund")
        except ProcessorUnavailable as unavailable:
            raise RefundFailed(str(unavailable)) from None
        return Refund(body["id"], body["charge"], body["amount"])

    def _call(self, method: str, path: str, idempotency_key: str | None = None, body: dict | None = None):
        headers = {"Authorization": f"Bearer {self.secret_key}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            return requests.request(method, self.url + path, json=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as error:
            raise ProcessorUnavailable(f"payment sandbox at {self.url} unreachable: {type(error).__name__}") from None

    @staticmethod
    def _expect(answer, what: str) -> dict:
        if answer.status_code != 200:
            raise ProcessorUnavailable(f"payment sandbox answered {answer.status_code} to a {what}")
        try:
            return answer.json()
        except ValueError:
            raise ProcessorUnavailable(f"payment sandbox answered a {what} with no JSON") from None


def _error_of(answer) -> dict:
    """The `error` object of a processor's answer, or {}."""
    try:
        error = answer.json().get("error")
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}


def load_processor(config: dict) -> PaymentProcessor:
    path = config.get("PAYMENT_PROCESSOR") or DEFAULT_PROCESSOR
    module_name, _, class_name = path.rpartition(".")
    processor_class = getattr(importlib.import_module(module_name), class_name)
    return processor_class(config)


class Payments(DependencyProvider):
    """Injects the configured `PaymentProcessor` (one per service process)."""

    def setup(self):
        self.processor = load_processor(self.container.config)

    def stop(self):
        self.processor.close()

    def kill(self):
        self.processor.close()

    def get_dependency(self, worker_ctx) -> PaymentProcessor:
        return self.processor
