"""The warehouse's answers (`order_shipped`, `order_delivered`, `order_rejected`)
applied to an order's status.

Status only moves forward, in the order things happen to a parcel:

    placed  <  cancelled = rejected  <  shipped  <  delivered

- Every warehouse event is kept in the order's history with the warehouse's
  own timestamp, whether or not it moved the status (`applied`).
- An event moves the status only when it is further along than the current
  one. So a `delivered` that overtakes its `shipped` records delivered, and
  the late `shipped` is kept in history (and its carrier and tracking number
  on the order) without moving the status back.
- A closed order (cancelled, or rejected by the warehouse) stays closed:
  closing released its free kit and put a paid order on the staff's
  refunds-due list, so letting a later shipped or delivered move it would
  hand the kit out twice and hide the refund. Such a report (or a rejection
  after a cancellation) is kept in the history marked `reported_after` the
  closing status and changes nothing else; a shipped or delivered one flags
  the order for staff (`needs_attention`): only they can find out whether
  the parcel really left, and correct the status by hand.
- A rejected after shipped or delivered is history only.
- The same fact twice (a redelivered event under a new event_id) adds nothing.
- An order the warehouse names but we never placed cannot be applied: the
  message is dead-lettered for staff (`PoisonMessage`).

The candidate is emailed when a shipment or rejection moved the status.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from certtrack_shared.consumer import PoisonMessage

from fulfillment import mails
from fulfillment.models import Candidate, Order, OrderStatusChange
from fulfillment.handlers.orders import release_entitlements

RANK = {"placed": 0, "cancelled": 1, "rejected": 1, "shipped": 2, "delivered": 3}
# Only staff move an order out of these (staff.correct_status): closing freed its kit.
FINAL_FOR_THE_WAREHOUSE = {"cancelled", "rejected"}


def moves_forward(current: str, new: str) -> bool:
    if current in FINAL_FOR_THE_WAREHOUSE:
        return False
    return RANK[new] > RANK[current]


def record_shipped(session: Session, outbox, event, now: datetime) -> None:
    order = _order(session, event.order_id)
    if order.carrier is None or order.tracking_number is None:
        order.carrier, order.tracking_number = event.carrier, event.tracking_number or order.tracking_number
    detail = {"carrier": event.carrier, "tracking_number": event.tracking_number}
    if _apply(session, order, "shipped", event.shipped_at, detail, event.event_id, now):
        candidate = session.get(Candidate, order.candidate_id)
        if candidate is not None:
            mails.send(outbox, "order_shipped", candidate.email, first_name=candidate.first_name,
                       order_id=order.order_id, carrier=event.carrier, tracking_number=event.tracking_number,
                       shipped_on=f"{event.shipped_at:%d %b %Y}")


def record_delivered(session: Session, outbox, event, now: datetime) -> None:
    order = _order(session, event.order_id)
    _apply(session, order, "delivered", event.delivered_at, {}, event.event_id, now)


def record_rejected(session: Session, outbox, event, now: datetime) -> None:
    order = _order(session, event.order_id)
    # The contract gives no time for a rejection: it happened when we heard of it.
    if _apply(session, order, "rejected", now, {"reason": event.reason}, event.event_id, now):
        released = release_entitlements(session, order.order_id)
        candidate = session.get(Candidate, order.candidate_id)
        if candidate is not None:
            mails.send(outbox, "order_rejected", candidate.email, first_name=candidate.first_name,
                       order_id=order.order_id, reason=event.reason, released=released,
                       paid=order.total_cents > 0)


def _order(session: Session, order_id: str) -> Order:
    order = session.get(Order, order_id, with_for_update=True)
    if order is None:
        raise PoisonMessage(f"no order {order_id} was placed here")
    return order


def _apply(session: Session, order: Order, status: str, occurred_at: datetime, detail: dict,
           event_id: str, now: datetime) -> bool:
    """Record the fact; move the status if it is further along. True if it moved."""
    already = session.scalar(select(OrderStatusChange.id).where(
        OrderStatusChange.order_id == order.order_id, OrderStatusChange.status == status,
        OrderStatusChange.source == "warehouse").limit(1))
    if already is not None:
        return False
    applied = moves_forward(order.status, status)
    if order.status in FINAL_FOR_THE_WAREHOUSE:
        detail = {**detail, "reported_after": order.status}
    session.add(OrderStatusChange(order_id=order.order_id, status=status, occurred_at=occurred_at,
                                  recorded_at=now, source="warehouse", applied=applied, detail=detail,
                                  event_id=event_id))
    if applied:
        order.status = status
    order.updated_at = now
    return applied
