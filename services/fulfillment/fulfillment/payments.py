"""Card payments behind one small interface, chosen by configuration.

`PaymentProcessor` is what the order rules call: `charge` authorizes and
captures in one step, `refund` gives (part of) a charge back; both take an
idempotency key, so a retried call (a double click, nameko re-running an RPC
after a crash between reply and ack) charges or refunds once and answers the
same result. `PAYMENT_PROCESSOR` in config.yml names the class by dotted path
(`package.module.Class`); it is built with the service's config. A real
processor (Stripe, Adyen…) is one more class with these two methods.

`LocalPaymentProcessor`, the default, runs in-process and follows Stripe's
well-known test cards, so the whole flow can be tried without an account.
Its ledger lives in `processor_charges`/`processor_refunds`, written in a
transaction of its own as an outside processor's would be: a charge stays
made even when the order's transaction then rolls back.

A card number and CVC exist only in memory for the length of `charge`: the
`Card` repr hides them, and only brand, last four digits and the processor's
reference come back.
"""
from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone

from nameko.extensions import DependencyProvider
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from certtrack_shared import config as shared_config
from certtrack_shared.database import create_service_engine

from fulfillment.models import ProcessorCharge, ProcessorRefund

log = logging.getLogger(__name__)

DEFAULT_PROCESSOR = "fulfillment.payments.LocalPaymentProcessor"


@dataclass(frozen=True)
class Card:
    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    cvc: str = field(repr=False)

    @property
    def digits(self) -> str:
        return "".join(ch for ch in self.number if ch.isdigit())

    @property
    def last4(self) -> str:
        return self.digits[-4:]

    def __repr__(self) -> str:  # never the number or the CVC, even in a traceback
        return f"Card(last4={self.last4!r}, exp={self.exp_month:02d}/{self.exp_year})"


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
    """The processor refused the card: `code` (Stripe's decline codes), a sentence for the
    candidate, and the card's brand and last four digits when the processor says them."""

    def __init__(self, code: str, message: str, brand: str | None = None, last4: str | None = None):
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.brand = brand
        self.last4 = last4


class RefundFailed(Exception):
    pass


class PaymentProcessor(ABC):
    """The interface; see the module docstring."""

    @abstractmethod
    def charge(self, amount_cents: int, currency: str, card: Card, idempotency_key: str) -> Charge:
        """Authorize and capture; CardDeclined when the processor refuses.

        A key already used answers that earlier charge as it is now, refunds
        included (a processor whose replay echoes the first response, as
        Stripe's does, must fetch the charge to fill `refunded_cents`).
        """

    @abstractmethod
    def refund(self, reference: str, amount_cents: int, idempotency_key: str) -> Refund:
        """Give (part of) a charge back; RefundFailed when the processor refuses."""

    def close(self) -> None:
        """Release connections when the service stops; nothing to release by default."""


# -- the local processor -----------------------------------------------------------------
SUCCESS_CARDS = {  # Stripe's test numbers that succeed
    "4242424242424242", "4000056655665556", "5555555555554444", "2223003122003222",
    "5200828282828210", "378282246310005", "371449635398431", "6011111111111117",
}
DECLINE_CARDS = {
    "4000000000000002": ("card_declined", "Your card was declined. Please use another card or contact your bank."),
    "4000000000009995": ("insufficient_funds",
                         "Your card was declined because it has insufficient funds. Please use another card."),
    "4000000000000069": ("expired_card", "Your card has expired. Please use another card."),
    "4000000000000127": ("incorrect_cvc", "Your card's security code (CVC) is incorrect."),
}
NOT_A_TEST_CARD = ("card_not_supported",
                   "This card was declined: the local payment processor only accepts test card numbers, "
                   "such as 4242 4242 4242 4242.")


def brand_of(digits: str) -> str:
    if digits.startswith("4"):
        return "visa"
    if digits[:2] in {"51", "52", "53", "54", "55"} or "2221" <= digits[:4] <= "2720":
        return "mastercard"
    if digits[:2] in {"34", "37"}:
        return "amex"
    if digits.startswith("6011") or digits.startswith("65"):
        return "discover"
    return "unknown"


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def check_card(card: Card, today: datetime) -> str:
    """The card's brand, or CardDeclined saying in plain words what is wrong with it."""
    digits = card.digits
    if not luhn_valid(digits):
        raise CardDeclined("incorrect_number", "Your card number is incorrect. Please check it and try again.")
    brand = brand_of(digits)
    if not 1 <= card.exp_month <= 12:
        raise CardDeclined("invalid_expiry_month", "Your card's expiration month is invalid.")
    if card.exp_year < 100:
        raise CardDeclined("invalid_expiry_year", "Enter the card's expiration year with four digits, e.g. 2030.")
    if (card.exp_year, card.exp_month) < (today.year, today.month):
        raise CardDeclined("expired_card", "Your card has expired. Please use another card.")
    if card.exp_year > today.year + 20:
        raise CardDeclined("invalid_expiry_year", "Your card's expiration year is invalid.")
    if not card.cvc.isdigit() or len(card.cvc) != (4 if brand == "amex" else 3):
        raise CardDeclined("invalid_cvc", "Your card's security code (CVC) is incomplete or invalid: "
                                          f"enter the {4 if brand == 'amex' else 3} digits from the card.")
    return brand


class LocalPaymentProcessor(PaymentProcessor):
    def __init__(self, config: dict, clock=None):
        url = config.get("PAYMENT_LEDGER_DATABASE_URL") or config.get("DATABASE_URL") \
            or shared_config.database_url("fulfillment")
        self.engine = create_service_engine(url, pool_size=2)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    def close(self) -> None:
        self.engine.dispose()

    def charge(self, amount_cents, currency, card, idempotency_key):
        with self.sessions() as session:
            earlier = session.scalar(select(ProcessorCharge).where(ProcessorCharge.idempotency_key == idempotency_key))
            if earlier is not None:
                return _charge(earlier)
        now = self.clock()
        if luhn_valid(card.digits):  # a card number: its declines name the card, as Stripe's do
            known = {"brand": brand_of(card.digits), "last4": card.last4}
        else:
            known = {}
        try:
            brand = check_card(card, now)
        except CardDeclined as declined:
            raise CardDeclined(declined.code, declined.message, **known) from None
        decline = DECLINE_CARDS.get(card.digits)
        if decline:
            raise CardDeclined(*decline, **known)
        if card.digits not in SUCCESS_CARDS:
            raise CardDeclined(*NOT_A_TEST_CARD, **known)
        row = ProcessorCharge(
            reference=f"ch_local_{secrets.token_hex(12)}", idempotency_key=idempotency_key,
            amount_cents=amount_cents, currency=currency, brand=brand, last4=card.last4,
            refunded_cents=0, created_at=now)
        with self.sessions() as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError:  # the same key charged concurrently: that charge is the answer
                session.rollback()
                row = session.scalar(select(ProcessorCharge).where(ProcessorCharge.idempotency_key == idempotency_key))
        log.info("local processor charged %s %s (%s ending %s): %s",
                 amount_cents, currency, row.brand, row.last4, row.reference)
        return _charge(row)

    def refund(self, reference, amount_cents, idempotency_key):
        with self.sessions() as session:
            earlier = session.scalar(select(ProcessorRefund).where(ProcessorRefund.idempotency_key == idempotency_key))
            if earlier is not None:
                return Refund(earlier.reference, earlier.charge_reference, earlier.amount_cents)
            charge = session.get(ProcessorCharge, reference, with_for_update=True)
            if charge is None:
                raise RefundFailed(f"no charge {reference}")
            if charge.refunded_cents + amount_cents > charge.amount_cents:
                raise RefundFailed(f"refund exceeds what remains of charge {reference}")
            refund = ProcessorRefund(reference=f"re_local_{secrets.token_hex(12)}", charge_reference=reference,
                                     idempotency_key=idempotency_key, amount_cents=amount_cents,
                                     created_at=self.clock())
            charge.refunded_cents += amount_cents
            session.add(refund)
            session.commit()
            return Refund(refund.reference, reference, amount_cents)


def _charge(row: ProcessorCharge) -> Charge:
    return Charge(row.reference, row.amount_cents, row.currency, row.brand, row.last4, row.refunded_cents)


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
