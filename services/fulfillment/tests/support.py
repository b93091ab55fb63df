"""Helpers for the fulfillment tests (imported as `services.fulfillment.tests.support`):
speaking to the service the way certs, identity and the gateway do."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from fulfillment.payments import CardDeclined, Charge, PaymentProcessor

from tests.harness.messages import publish_raw, wait_for

# Stripe's ready-made test tokens, which the payment sandbox knows too (deploy/payment_sandbox/cards.py).
SUCCESS = "pm_card_visa"
DECLINED = "pm_card_chargeDeclined"
US_ADDRESS = {"name": "John Doe", "line1": "1 Main St", "line2": None, "city": "San Jose", "region": "CA",
              "postal_code": "95134", "country": "US", "phone": "+1 408 555 0100"}
CCNA_KIT = [
    {"sku": "CCNA-CERT", "description": "CCNA certificate", "price_cents": 0, "initial": True},
    {"sku": "CCNA-CERT-COPY", "description": "CCNA certificate (additional copy)", "price_cents": 2500,
     "initial": False},
    {"sku": "CCNA-PLAQUE", "description": "CCNA wall plaque", "price_cents": 7500, "initial": False},
]



def certification_event(candidate_id, event_type="certification_achieved", *, revision=1, status="active",
                        first_achievement=True, kit=CCNA_KIT, certification_id="ccna", event_id=None):
    body = {
        "schema_version": 1, "event_id": event_id or f"certs-{uuid.uuid4()}",
        "occurred_at": datetime.now(timezone.utc).isoformat(), "candidate_id": candidate_id,
        "program": "cisco", "certification_id": certification_id, "certification_name": "CCNA",
        "level": "associate", "track": "enterprise", "status": status, "started_on": "2026-11-01",
        "active_on": "2026-12-01", "expires_on": "2029-12-01", "revision": revision,
    }
    if event_type == "certification_achieved":
        body.update(first_achievement=first_achievement, kit=kit)
    if event_type == "certification_recertified":
        body.update(path="exam")
    return body


def register(amqp_uri, candidate_id, email=None, first_name="John"):
    publish_raw(amqp_uri, "identity.events", "candidate_registered", {
        "schema_version": 1, "event_id": f"id-{uuid.uuid4()}", "occurred_at": "2026-11-20T10:00:00Z",
        "candidate_id": candidate_id, "program": "cisco", "first_name": first_name, "last_name": "Doe",
        "email": email or f"{candidate_id.lower()}@example.com", "source": "vendor"})


def achieve(amqp_uri, rpc, candidate_id, **kwargs):
    """Publish a first achievement of CCNA and wait until the kit is claimable."""
    event = certification_event(candidate_id, **kwargs)
    publish_raw(amqp_uri, "certs.events", "certification_achieved", event, message_id=event["event_id"])
    wait_for(lambda: rpc.fulfillment_overview(candidate_id)["entitlements"], message="the kit entitlement")
    return event


def place(rpc, candidate_id, *, key=None, items=None, payment_method=SUCCESS, shipping="tracked",
          ship_to=US_ADDRESS, client_address="192.0.2.10"):
    return rpc.place_order(
        candidate_id=candidate_id, idempotency_key=key or uuid.uuid4().hex,
        items=items or [{"kind": "entitlement", "certification_id": "ccna"}],
        ship_to=ship_to, shipping_method=shipping, payment_method=payment_method, client_address=client_address)


class CountingProcessor(PaymentProcessor):
    """Declines every card (saying brand and last four, as real processors do) until told to
    accept; counts every charge that reaches it."""

    def __init__(self):
        self.charges = 0
        self.accept = False

    def charge(self, amount_cents, currency, payment_method, idempotency_key):
        self.charges += 1
        if not self.accept:
            raise CardDeclined("card_declined", "Your card was declined.", brand="visa", last4="0002")
        return Charge(f"ch_test_{self.charges}", amount_cents, currency, "visa", "4242")

    def refund(self, reference, amount_cents, idempotency_key):
        raise AssertionError("nothing is refunded here")


class Outbox:
    """Keeps what a rule publishes."""

    def __init__(self):
        self.events = []

    def publish(self, event):
        self.events.append(event)
