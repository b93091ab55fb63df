"""Placing an order on PostgreSQL (production, tests) and on SQLite (the README's
`sqlite:///var/fulfillment.db`): its advisory locks (the checkout's idempotency key,
the card-testing limits) are certtrack_shared.locks', which both databases take."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certtrack_shared.database import create_service_engine
from certtrack_shared.migrations import upgrade

from fulfillment.handlers import orders
from fulfillment.models import Certification, Order
from fulfillment.schemas import PlaceOrderRequest

from services.fulfillment.tests.support import CCNA_KIT, US_ADDRESS, CountingProcessor, Outbox

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
CANDIDATE = "CSCO40000001"


@pytest.fixture
def sqlite_session(tmp_path):
    url = f"sqlite:///{tmp_path / 'fulfillment.db'}"
    upgrade("fulfillment", url)
    engine = create_service_engine(url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def any_session(request):
    return request.getfixturevalue("session" if request.param == "postgresql" else "sqlite_session")


def test_a_paid_order_is_placed_once_per_checkout_on_either_database(any_session):
    session = any_session
    session.add(Certification(candidate_id=CANDIDATE, certification_id="ccna", name="CCNA", status="active",
                              revision=1, kit=CCNA_KIT, updated_at=NOW))
    session.commit()
    processor, outbox = CountingProcessor(), Outbox()
    processor.accept = True
    request = PlaceOrderRequest(
        idempotency_key="checkout-both-databases", ship_to=US_ADDRESS, shipping_method="standard",
        items=[{"kind": "purchase", "certification_id": "ccna", "sku": "CCNA-CERT-COPY"}],
        payment_method="pm_card_visa")

    first = orders.place_order(session, outbox, processor, CANDIDATE, request, 1500, "USD", NOW,
                               client_address="203.0.113.5")
    session.commit()
    again = orders.place_order(session, outbox, processor, CANDIDATE, request, 1500, "USD", NOW,
                               client_address="203.0.113.5")
    session.commit()

    assert again.order_id == first.order_id
    assert first.total_cents == 2500
    assert processor.charges == 1
    assert [event.order_id for event in outbox.events] == [first.order_id]
    assert session.scalar(select(func.count()).select_from(Order).where(Order.candidate_id == CANDIDATE)) == 1
