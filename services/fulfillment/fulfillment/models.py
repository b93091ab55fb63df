"""Tables owned by the fulfillment service.

- `candidates`, `certifications`: projections of identity's and certs'
  events (names and emails for mails; status and kit of each certification,
  the latest by `revision`).
- `entitlements`: the free initial kit granted on a first achievement,
  claimed by at most one live order at a time.
- `orders`, `order_lines`, `order_status_changes`: what was ordered, paid
  and shipped, and every status change with its source and timestamps.
- `order_numbers`: the per-year sequence behind `ORD-YYYY-NNNNNN`.
- `payment_declines`: every decline the processor reported, per candidate and
  client address (declines.py: the card-testing limit and the staff's view).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

Id = BigInteger().with_variant(Integer(), "sqlite")
Stamp = DateTime(timezone=True)


class Base(DeclarativeBase):
    pass


class Candidate(Base):
    __tablename__ = "candidates"

    candidate_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(Stamp)


class Certification(Base):
    """A candidate's certification as certs last reported it (highest revision)."""

    __tablename__ = "certifications"

    candidate_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    certification_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    revision: Mapped[int] = mapped_column(Integer)
    # [{"sku", "description", "price_cents", "initial"}]; kept from the last
    # achievement (the other events do not repeat it).
    kit: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(Stamp)


class Entitlement(Base):
    __tablename__ = "entitlements"
    __table_args__ = (UniqueConstraint("candidate_id", "certification_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    candidate_id: Mapped[str] = mapped_column(String(20), index=True)
    certification_id: Mapped[str] = mapped_column(String(80))
    certification_name: Mapped[str] = mapped_column(String(300))
    items: Mapped[list] = mapped_column(JSON)  # [{"sku", "description", "quantity"}]
    granted_at: Mapped[datetime] = mapped_column(Stamp)
    granted_by_event: Mapped[str] = mapped_column(String(200))
    # The congratulation mail waits for the candidate's email when identity's
    # event has not arrived yet (two queues, no order between them).
    congratulated_at: Mapped[Optional[datetime]] = mapped_column(Stamp)
    # The live order that claims it; cleared when that order is cancelled or rejected.
    order_id: Mapped[Optional[str]] = mapped_column(String(20))


class OrderNumber(Base):
    __tablename__ = "order_numbers"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("candidate_id", "idempotency_key"),)

    order_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    candidate_id: Mapped[str] = mapped_column(String(20), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)
    ship_to: Mapped[dict] = mapped_column(JSON)
    shipping_method: Mapped[str] = mapped_column(String(20))
    shipping_fee_cents: Mapped[int] = mapped_column(Integer)
    items_total_cents: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    # Only brand, last4 and the processor's reference; never a card number or CVC.
    card_brand: Mapped[Optional[str]] = mapped_column(String(20))
    card_last4: Mapped[Optional[str]] = mapped_column(String(4))
    payment_reference: Mapped[Optional[str]] = mapped_column(String(100))
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)
    refund_reference: Mapped[Optional[str]] = mapped_column(String(100))
    carrier: Mapped[Optional[str]] = mapped_column(String(60))
    tracking_number: Mapped[Optional[str]] = mapped_column(String(100))
    placed_at: Mapped[datetime] = mapped_column(Stamp)
    updated_at: Mapped[datetime] = mapped_column(Stamp)

    lines: Mapped[list["OrderLine"]] = relationship(order_by="OrderLine.id")
    changes: Mapped[list["OrderStatusChange"]] = relationship(order_by="OrderStatusChange.id")


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.order_id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # "entitlement" or "purchase"
    certification_id: Mapped[str] = mapped_column(String(80))
    sku: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)


class OrderStatusChange(Base):
    """One entry of an order's history. `applied` is false for a warehouse
    event that arrived too late to move the status (kept, never lost)."""

    __tablename__ = "order_status_changes"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.order_id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(Stamp)  # when it happened (warehouse's time)
    recorded_at: Mapped[datetime] = mapped_column(Stamp)
    source: Mapped[str] = mapped_column(String(12))  # candidate, warehouse, staff
    applied: Mapped[bool] = mapped_column(default=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)  # carrier, tracking, reason, staff
    event_id: Mapped[Optional[str]] = mapped_column(String(200))


class PaymentDecline(Base):
    """A payment the processor declined: what the card-testing limit counts. Only what the
    processor said (its code and reason, brand and last four when it gave them)."""

    __tablename__ = "payment_declines"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    candidate_id: Mapped[str] = mapped_column(String(20))
    client_address: Mapped[str] = mapped_column(String(64))
    declined_at: Mapped[datetime] = mapped_column(Stamp, index=True)
    code: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(String(300))
    brand: Mapped[Optional[str]] = mapped_column(String(20))
    last4: Mapped[Optional[str]] = mapped_column(String(4))
