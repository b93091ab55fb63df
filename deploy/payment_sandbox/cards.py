"""The sandbox's test cards: which numbers succeed, which are declined and why.

They follow Stripe's well-known test numbers (4242 4242 4242 4242 succeeds,
4000 0000 0000 0002 is declined, …), so a developer used to a processor's test
mode needs nothing new. The outcome of a card is decided when the browser
hands it over (`inspect`) and kept with its `pm_…` token; the number and the
CVC are dropped there and then.

`TEST_PAYMENT_METHODS` are Stripe's ready-made test tokens (`pm_card_visa`,
`pm_card_chargeDeclined`, …), usable server-side without a browser: by API
clients in test mode and by tests.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SUCCESS_CARDS = {
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
                   "This card was declined: the payment sandbox only accepts test card numbers, "
                   "such as 4242 4242 4242 4242.")

TEST_PAYMENT_METHODS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_discover": "6011111111111117",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
}


class CardError(Exception):
    """The card cannot even be tokenized: `code` (Stripe's) and a sentence for the cardholder.
    `param` names the field at fault, as Stripe's errors do."""

    def __init__(self, code: str, message: str, param: str):
        super().__init__(code, message)
        self.code, self.message, self.param = code, message, param


@dataclass(frozen=True)
class CardSummary:
    """What the sandbox keeps of a card: never its number or CVC."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int
    decline: tuple[str, str] | None  # (code, message) when charging it will be declined


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


def inspect(number: str, exp_month, exp_year, cvc: str, today: date) -> CardSummary:
    """The card's summary, or CardError saying in plain words what is wrong with what was typed."""
    digits = "".join(ch for ch in str(number or "") if ch.isdigit())
    if not luhn_valid(digits):
        raise CardError("incorrect_number", "Your card number is incorrect. Please check it and try again.",
                        "card[number]")
    brand = brand_of(digits)
    month, year = _whole(exp_month), _whole(exp_year)
    if month is None or not 1 <= month <= 12:
        raise CardError("invalid_expiry_month", "Your card's expiration month is invalid.", "card[exp_month]")
    if year is not None and year < 100:
        year += 2000  # 34 is 2034, as printed on the card
    if year is None or year > today.year + 20:
        raise CardError("invalid_expiry_year", "Your card's expiration year is invalid.", "card[exp_year]")
    if (year, month) < (today.year, today.month):
        raise CardError("expired_card", "Your card has expired. Please use another card.", "card[exp_year]")
    cvc = str(cvc or "").strip()
    length = 4 if brand == "amex" else 3
    if not cvc.isdigit() or len(cvc) != length:
        raise CardError("invalid_cvc", "Your card's security code (CVC) is incomplete or invalid: "
                                       f"enter the {length} digits from the card.", "card[cvc]")
    decline = DECLINE_CARDS.get(digits) or (None if digits in SUCCESS_CARDS else NOT_A_TEST_CARD)
    return CardSummary(brand, digits[-4:], month, year, decline)


def test_payment_method(payment_method_id: str, today: date) -> CardSummary | None:
    """The summary of one of Stripe's ready-made test tokens, or None for any other id."""
    number = TEST_PAYMENT_METHODS.get(payment_method_id)
    if number is None:
        return None
    return inspect(number, 12, today.year + 3, "1234" if brand_of(number) == "amex" else "123", today)


def _whole(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 4 else None
