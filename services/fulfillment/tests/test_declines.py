"""Checkout cannot be used to test stolen cards: declined payments are limited per
candidate and per client address, checked before the processor is asked
(fulfillment/handlers/declines.py, docs/decisions/0014-card-testing-limits.md).

The rules run on a real session with a processor that counts what reaches it;
the last test goes through the running service and the payment sandbox, with
tokens as the checkout page sends them: the limit never needs the card."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from nameko.exceptions import RemoteError
from sqlalchemy import text

from fulfillment.handlers import declines, orders
from fulfillment.exceptions import PaymentDeclined, TooManyDeclinedPayments
from fulfillment.models import Certification
from fulfillment.payments import SandboxPaymentProcessor
from fulfillment.schemas import PlaceOrderRequest

from services.fulfillment.tests.support import (
    CCNA_KIT, US_ADDRESS, CountingProcessor, Outbox, achieve, place,
)

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
DECLINED_NUMBER = "4000000000000002"
TOKEN = "pm_card_chargeDeclined"
COPY = {"kind": "purchase", "certification_id": "ccna", "sku": "CCNA-CERT-COPY"}
HOME, CAFE = "203.0.113.5", "198.51.100.7"


@pytest.fixture
def processor():
    return CountingProcessor()


@pytest.fixture
def candidates(session):
    """Three candidates with an active CCNA, each able to buy a certificate copy."""
    for candidate_id in ("CSCO30000001", "CSCO30000002", "CSCO30000003"):
        session.add(Certification(candidate_id=candidate_id, certification_id="ccna", name="CCNA", status="active",
                                  revision=1, kit=CCNA_KIT, updated_at=NOW))
    session.flush()


def attempt(session, processor, candidate_id, client_address, at, key=None):
    request = PlaceOrderRequest(idempotency_key=key or uuid.uuid4().hex, items=[COPY], ship_to=US_ADDRESS,
                                shipping_method="standard", payment_method=TOKEN)
    return orders.place_order(session, Outbox(), processor, candidate_id, request, 1500, "USD", at,
                              client_address=client_address)


def decline(session, processor, candidate_id, client_address, at):
    with pytest.raises(PaymentDeclined):
        attempt(session, processor, candidate_id, client_address, at)


def test_six_declined_attempts_in_a_row_the_sixth_is_refused_before_the_processor(session, candidates, processor):
    for minute in range(5):
        decline(session, processor, "CSCO30000001", HOME, NOW + timedelta(minutes=minute))
    assert processor.charges == 5

    with pytest.raises(TooManyDeclinedPayments) as refused:
        attempt(session, processor, "CSCO30000001", HOME, NOW + timedelta(minutes=5))
    assert processor.charges == 5  # the sixth card never reached it
    # Sliding window: free again when the first decline is an hour old.
    assert refused.value.retry_after_seconds == 55 * 60
    # The limit does not look at the card: a card that would be accepted is held back too.
    processor.accept = True
    with pytest.raises(TooManyDeclinedPayments):
        attempt(session, processor, "CSCO30000001", HOME, NOW + timedelta(minutes=6))
    assert processor.charges == 5


def test_six_declines_from_one_client_address_across_two_candidates_the_sixth_is_refused(
        session, candidates, processor):
    for minute in range(3):
        decline(session, processor, "CSCO30000001", HOME, NOW + timedelta(minutes=minute))
    for minute in range(3, 5):
        decline(session, processor, "CSCO30000002", HOME, NOW + timedelta(minutes=minute))

    with pytest.raises(TooManyDeclinedPayments):
        attempt(session, processor, "CSCO30000002", HOME, NOW + timedelta(minutes=5))
    assert processor.charges == 5
    # The first candidate, elsewhere, has 3 declines of their own: still under their limit.
    decline(session, processor, "CSCO30000001", CAFE, NOW + timedelta(minutes=6))
    assert processor.charges == 6


def test_a_candidates_declines_do_not_block_another_candidate_from_another_address(session, candidates, processor):
    for minute in range(5):
        decline(session, processor, "CSCO30000001", HOME, NOW + timedelta(minutes=minute))
    processor.accept = True

    order = attempt(session, processor, "CSCO30000002", CAFE, NOW + timedelta(minutes=5))

    assert order.payment.last4 == "4242" and processor.charges == 6


def test_after_the_window_the_candidate_may_try_again(session, candidates, processor):
    for minute in range(5):
        decline(session, processor, "CSCO30000001", HOME, NOW + timedelta(minutes=minute))
    with pytest.raises(TooManyDeclinedPayments) as refused:
        attempt(session, processor, "CSCO30000001", HOME, NOW + timedelta(minutes=59, seconds=30))
    assert refused.value.retry_after_seconds == 30

    # The first decline is an hour old: one more attempt reaches the processor…
    decline(session, processor, "CSCO30000001", HOME, NOW + timedelta(minutes=60))
    assert processor.charges == 6
    # …and is counted: five in the last hour again, so the next waits for the second to age out.
    with pytest.raises(TooManyDeclinedPayments) as again:
        attempt(session, processor, "CSCO30000001", HOME, NOW + timedelta(minutes=60, seconds=1))
    assert again.value.retry_after_seconds == 59


def test_a_successful_payment_does_not_forgive_the_candidates_own_declines(session, candidates, processor):
    for minute in range(4):
        decline(session, processor, "CSCO30000001", HOME, NOW + timedelta(minutes=minute))
    processor.accept = True
    attempt(session, processor, "CSCO30000001", HOME, NOW + timedelta(minutes=4))
    processor.accept = False
    decline(session, processor, "CSCO30000001", HOME, NOW + timedelta(minutes=5))

    with pytest.raises(TooManyDeclinedPayments):
        attempt(session, processor, "CSCO30000001", HOME, NOW + timedelta(minutes=6))
    assert processor.charges == 6


def test_an_order_placed_before_the_block_is_still_answered_by_its_key(session, candidates, processor):
    processor.accept = True
    placed = attempt(session, processor, "CSCO30000001", HOME, NOW, key="checkout-before-block")
    processor.accept = False
    for minute in range(1, 6):
        decline(session, processor, "CSCO30000001", HOME, NOW + timedelta(minutes=minute))

    again = attempt(session, processor, "CSCO30000001", HOME, NOW + timedelta(minutes=6), key="checkout-before-block")

    assert again == placed and processor.charges == 6


def test_staff_see_recent_declines_with_the_reason_and_who_is_blocked_never_a_card_number(
        session, candidates, processor):
    for minute in range(5):
        decline(session, processor, "CSCO30000001", HOME, NOW + timedelta(minutes=minute))
    decline(session, processor, "CSCO30000002", CAFE, NOW + timedelta(minutes=5))

    report = declines.report(session, NOW + timedelta(minutes=10))

    assert [(d.candidate_id, d.client_address) for d in report.declines][:2] == [
        ("CSCO30000002", CAFE), ("CSCO30000001", HOME)]  # newest first
    newest = report.declines[1]
    assert newest.declined_at == NOW + timedelta(minutes=4)
    assert (newest.code, newest.reason) == ("card_declined", "Your card was declined.")
    assert (newest.brand, newest.last4) == ("visa", "0002")
    assert {(b.kind, b.key, b.declines) for b in report.blocked} == {
        ("candidate", "CSCO30000001", 5), ("client_address", HOME, 5)}
    assert {b.blocked_until for b in report.blocked} == {NOW + timedelta(hours=1)}
    shown = report.model_dump_json()
    stored = " ".join(str(tuple(row)) for row in session.execute(text("SELECT * FROM payment_declines")))
    for secret in (DECLINED_NUMBER, "4000 0000", "987"):
        assert secret not in shown and secret not in stored
    # Past the window nobody is blocked; the declines stay listed for staff.
    later = declines.report(session, NOW + timedelta(hours=2))
    assert later.blocked == [] and len(later.declines) == 6


def test_over_rpc_the_sixth_declined_attempt_never_reaches_the_processor_and_staff_see_why(
        rpc, amqp_uri, payment_sandbox, monkeypatch):
    seen = []
    charge = SandboxPaymentProcessor.charge

    def counting(self, *args, **kwargs):
        seen.append(args)
        return charge(self, *args, **kwargs)

    monkeypatch.setattr(SandboxPaymentProcessor, "charge", counting)
    achieve(amqp_uri, rpc, "CSCO30000009")
    for _ in range(5):  # a new card each time, tokenized as the checkout page does
        declined = payment_sandbox.tokenize("4000 0000 0000 0002", cvc="987")["id"]
        with pytest.raises(RemoteError) as refused:
            place(rpc, "CSCO30000009", payment_method=declined, client_address=HOME)
        assert refused.value.exc_type == "PaymentDeclined"

    with pytest.raises(RemoteError) as blocked:
        place(rpc, "CSCO30000009", payment_method=payment_sandbox.tokenize("4242424242424242")["id"],
              client_address=HOME)

    assert blocked.value.exc_type == "TooManyDeclinedPayments"
    assert 3500 <= json.loads(blocked.value.value)["retry_after_seconds"] <= 3600
    assert len(seen) == 5
    report = rpc.staff_payment_declines()
    assert len(report["declines"]) == 5 and report["declines"][0]["candidate_id"] == "CSCO30000009"
    assert report["declines"][0]["last4"] == "0002" and report["declines"][0]["brand"] == "visa"
    assert "declined" in report["declines"][0]["reason"] and report["declines"][0]["client_address"] == HOME
    assert {(b["kind"], b["key"]) for b in report["blocked"]} == {("candidate", "CSCO30000009"),
                                                                  ("client_address", HOME)}
    assert DECLINED_NUMBER not in json.dumps(report) and "0000 0000" not in json.dumps(report)
