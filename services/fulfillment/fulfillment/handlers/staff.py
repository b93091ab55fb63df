"""Staff: finding orders, correcting a status by hand (audited), refunding.

A correction changes only the recorded status (the warehouse phoned, an
event was lost): it sends nothing to the warehouse and is kept in the
order's history with who, when and why. A refund gives back the whole
payment of a cancelled or rejected order through the payment processor,
once (its idempotency key is the order's).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from fulfillment.exceptions import InvalidStatusCorrection, RefundNotAllowed
from fulfillment.models import Entitlement, Order, OrderLine, OrderStatusChange
from fulfillment.handlers.orders import CONTRADICTS_CLOSING, needs_attention, order_view, own_order, release_entitlements
from fulfillment.payments import PaymentProcessor, RefundFailed
from fulfillment.schemas import OrderList, OrderSearch, OrderView, StatusCorrection

SEARCH_LIMIT = 200
# An order in one of these no longer holds its free kit (orders.cancel_order, shipments.record_rejected).
CLOSED = {"cancelled", "rejected"}
REFUNDABLE = CLOSED


# What staff read when a correction does not fit its model: words they can act on.
CORRECTION_PROBLEMS = {
    "status": "Choose the new status: placed, cancelled, rejected, shipped or delivered.",
    "reason": "Give a reason of 3 to 500 characters: it is kept in the order's history.",
}


def correction_refused(fields: dict[str, str]) -> InvalidStatusCorrection:
    """The error `certtrack_shared.validation.parse` raises for a correction that does not fit."""
    return InvalidStatusCorrection({field: CORRECTION_PROBLEMS.get(field, "Missing or not valid.")
                                    for field in fields})


def search_orders(session: Session, search: OrderSearch) -> OrderList:
    query = select(Order).order_by(Order.placed_at.desc(), Order.order_id.desc()).limit(SEARCH_LIMIT)
    if search.order_id:
        query = query.where(Order.order_id == search.order_id.strip().upper())
    if search.candidate_id:
        query = query.where(Order.candidate_id == search.candidate_id.strip().upper())
    if search.status:
        query = query.where(Order.status == search.status)
    if search.refund_due:
        # Cancelled or rejected, paid, not refunded yet: the refunds staff still owe.
        query = query.where(Order.status.in_(REFUNDABLE), Order.payment_reference.is_not(None),
                            Order.refunded_cents == 0)
    if search.needs_attention:
        query = query.where(_needs_attention())
    return OrderList(items=[order_view(order) for order in session.scalars(query)])


def _needs_attention():
    """orders.needs_attention as SQL: a shipped/delivered reported after the order was
    closed, with no staff status entry after it."""
    late, since = aliased(OrderStatusChange), aliased(OrderStatusChange)
    answered = exists().where(since.order_id == late.order_id, since.id > late.id, since.source == "staff",
                              since.status != "refunded")
    return exists().where(late.order_id == Order.order_id, late.source == "warehouse",
                          late.status.in_(CONTRADICTS_CLOSING),
                          late.detail["reported_after"].as_string().is_not(None), ~answered)


def correct_status(session: Session, correction: StatusCorrection, now: datetime) -> OrderView:
    """Record the status staff found out by other means (who, why and the previous one kept).

    The free kit follows the status as it does for the candidate's and the
    warehouse's changes: closing an order (cancelled, rejected) frees its kit
    to be claimed again; reopening it claims the kit back, unless another
    order claimed it meanwhile (then that order is the one to correct).

    An order flagged for attention may be "corrected" to its own status: staff
    confirm it (e.g. still cancelled: the parcel never left), which clears the flag.
    """
    order = own_order(session, None, correction.order_id, lock=True)
    previous = order.status
    if correction.status == previous and not needs_attention(order):
        raise InvalidStatusCorrection({"status": f"The order is already {previous}."})
    if correction.status in CLOSED and previous not in CLOSED:
        release_entitlements(session, order.order_id)
    elif previous in CLOSED and correction.status not in CLOSED:
        _claim_back(session, order)
    session.add(OrderStatusChange(
        order_id=order.order_id, status=correction.status, occurred_at=now, recorded_at=now, source="staff",
        applied=True, detail={"staff": correction.staff, "reason": correction.reason, "previous": previous}))
    order.status, order.updated_at = correction.status, now
    session.flush()
    session.refresh(order)
    return order_view(order)


def _claim_back(session: Session, order: Order) -> None:
    certifications = session.scalars(select(OrderLine.certification_id).where(
        OrderLine.order_id == order.order_id, OrderLine.kind == "entitlement").distinct()).all()
    for certification_id in certifications:
        entitlement = session.scalar(select(Entitlement).where(
            Entitlement.candidate_id == order.candidate_id,
            Entitlement.certification_id == certification_id).with_for_update())
        if entitlement is None:
            continue
        if entitlement.order_id not in (None, order.order_id):
            raise InvalidStatusCorrection({"status": (
                f"The {entitlement.certification_name} kit of this order was claimed again in order "
                f"{entitlement.order_id}: correct that order instead.")})
        entitlement.order_id = order.order_id


def refund_order(session: Session, processor: PaymentProcessor, order_id: str, staff: str,
                 now: datetime) -> OrderView:
    order = own_order(session, None, order_id, lock=True)
    if order.status not in REFUNDABLE:
        raise RefundNotAllowed({"order_id": order_id, "reason": "Only a cancelled or rejected order is refunded."})
    if not order.payment_reference:
        raise RefundNotAllowed({"order_id": order_id, "reason": "Nothing was paid for this order."})
    if order.refunded_cents:
        raise RefundNotAllowed({"order_id": order_id, "reason": "This order was refunded already."})
    try:
        # Keyed by the charge, unique at the processor: order numbers are unique only in this database.
        refund = processor.refund(order.payment_reference, order.total_cents,
                                  idempotency_key=f"refund:{order.payment_reference}")
    except RefundFailed as error:
        raise RefundNotAllowed({"order_id": order_id, "reason": f"The payment processor refused: {error}"}) from None
    order.refunded_cents, order.refund_reference, order.updated_at = refund.amount_cents, refund.reference, now
    session.add(OrderStatusChange(
        order_id=order.order_id, status="refunded", occurred_at=now, recorded_at=now, source="staff",
        applied=False, detail={"staff": staff, "amount_cents": refund.amount_cents, "reference": refund.reference}))
    session.flush()
    session.refresh(order)
    return order_view(order)
