"""Claims and purchases become orders: pricing, payment, numbering, cancelling.

Placing an order (`place_order`) runs in the RPC worker's transaction:

1. an advisory lock on (candidate, idempotency key) makes a second request
   with the same key wait for the first, then find its order and answer it
   (a double click, a retried form, nameko re-running the RPC after a crash
   between reply and ack): one order, one charge;
2. items are priced from the projections (the free kit at $0, purchases at
   the catalog's price), the address is validated, the total computed;
3. the payment method (the processor's `pm_…` token for the card the browser
   handed it: CertTrack never sees the card) is charged only when the total
   is above zero, with a key made of the checkout's idempotency key and the
   token, so even a crash after the charge and before the commit charges once
   when the request is retried; a decline raises and the transaction rolls
   back: no order, no number used, nothing charged. Before
   the charge, the card-testing limit (`declines.check`) may refuse: too many
   declines lately for this candidate or client address; each decline is
   counted (`declines.record`) before it is reported;
4. the order gets the next number of the year, and `order_placed` goes into
   the outbox in the same transaction as the order.

A charge that succeeded for a request whose order then failed to commit is
refunded at once (best effort). A retry of that checkout sees the refund
and charges anew under a derived key (`_charge_card`): no order is ever
recorded as paid by a charge that was given back.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from certtrack_shared.contracts.fulfillment import (
    OrderCancelledV1, OrderItem, OrderPlacedV1, ShipTo, Shipping,
)
from certtrack_shared.locks import advisory_lock

from fulfillment.handlers import addresses, declines
from fulfillment.exceptions import (
    InvalidOrder, OrderNotCancellable, OrderNotFound, PaymentDeclined, PaymentUnavailable,
)
from fulfillment.handlers.kits import claimable
from fulfillment.models import Certification, Entitlement, Order, OrderLine, OrderStatusChange
from fulfillment.payments import CardDeclined, Charge, PaymentProcessor, ProcessorUnavailable
from fulfillment.schemas import (
    LineView, OrderList, OrderRequest, OrderView, PaymentView, PlaceOrderRequest, Quote, ShippingView,
    StatusChangeView,
)

log = logging.getLogger(__name__)

CANCELLABLE = {"placed"}


def quote(session: Session, candidate_id: str, request: OrderRequest, tracked_fee_cents: int,
          currency: str) -> Quote:
    """Price and check an order without placing it (the review page, and step 2 of placing)."""
    lines = _price_lines(session, candidate_id, request)
    ship_to = addresses.validate_ship_to(request.ship_to)
    fee = tracked_fee_cents if request.shipping_method == "tracked" else 0
    items_total = sum(line.total_cents for line in lines)
    return Quote(items=lines, ship_to=ship_to, shipping=ShippingView(method=request.shipping_method, fee_cents=fee),
                 items_total_cents=items_total, total_cents=items_total + fee, currency=currency,
                 payment_required=items_total + fee > 0)


def place_order(session: Session, outbox, processor: PaymentProcessor, candidate_id: str,
                request: PlaceOrderRequest, tracked_fee_cents: int, currency: str, now: datetime,
                client_address: str | None = None) -> OrderView:
    advisory_lock(session, "fulfillment-order", candidate_id, request.idempotency_key)
    earlier = session.scalar(select(Order).where(
        Order.candidate_id == candidate_id, Order.idempotency_key == request.idempotency_key))
    if earlier is not None:
        return order_view(earlier)

    priced = quote(session, candidate_id, request, tracked_fee_cents, currency)
    charge = None
    if priced.total_cents > 0:
        if request.payment_method is None:
            raise InvalidOrder({"card": "Enter your card details: this order costs "
                                        f"{priced.total_cents / 100:.2f} {currency}."})
        declines.check(session, candidate_id, client_address, now)
        try:
            charge = _charge_card(processor, priced.total_cents, currency, request.payment_method,
                                  f"charge:{candidate_id}:{request.idempotency_key}:{request.payment_method}")
        except CardDeclined as declined:
            log.info("payment declined for candidate %s: %s", candidate_id, declined.code)
            declines.record(session, candidate_id, client_address, declined, now)
            raise PaymentDeclined({"card": declined.message}) from None
        except ProcessorUnavailable as unavailable:
            log.warning("payment processor unavailable for candidate %s: %s", candidate_id, unavailable)
            raise PaymentUnavailable({"card": "The payment processor did not answer. Please try again in a moment: "
                                              "trying again never charges you twice."}) from None
    try:
        return _record_order(session, outbox, candidate_id, request, priced, charge, now)
    except Exception:
        if charge is not None:
            _refund_quietly(processor, charge)
        raise


def _record_order(session, outbox, candidate_id, request, priced: Quote, charge, now) -> OrderView:
    order = Order(
        order_id=next_order_id(session, now.year), candidate_id=candidate_id,
        idempotency_key=request.idempotency_key, status="placed", ship_to=priced.ship_to,
        shipping_method=priced.shipping.method, shipping_fee_cents=priced.shipping.fee_cents,
        items_total_cents=priced.items_total_cents, total_cents=priced.total_cents, currency=priced.currency,
        card_brand=charge.brand if charge else None, card_last4=charge.last4 if charge else None,
        payment_reference=charge.reference if charge else None, refunded_cents=0,
        placed_at=now, updated_at=now)
    session.add(order)
    session.flush()
    for line in priced.items:
        session.add(OrderLine(order_id=order.order_id, kind=line.kind, certification_id=line.certification_id,
                              sku=line.sku, description=line.description, quantity=line.quantity,
                              unit_price_cents=line.unit_price_cents))
        if line.kind == "entitlement":
            entitlement = session.scalar(select(Entitlement).where(
                Entitlement.candidate_id == candidate_id,
                Entitlement.certification_id == line.certification_id).with_for_update())
            if entitlement.order_id is not None:  # claimed meanwhile by another request
                raise InvalidOrder({"items": f"The {entitlement.certification_name} kit was already claimed."})
            entitlement.order_id = order.order_id
    session.add(OrderStatusChange(order_id=order.order_id, status="placed", occurred_at=now, recorded_at=now,
                                  source="candidate", applied=True, detail={}))
    outbox.publish(OrderPlacedV1(
        schema_version=1, event_id=f"ful-{uuid.uuid4()}", order_id=order.order_id, placed_at=now,
        candidate_id=candidate_id, ship_to=ShipTo(**priced.ship_to),
        items=_warehouse_items(priced.items), shipping=Shipping(method=priced.shipping.method)))
    session.flush()
    session.refresh(order)
    return order_view(order)


def _warehouse_items(lines: list[LineView]) -> list[OrderItem]:
    """One line per SKU, as the warehouse picks them."""
    merged: dict[str, OrderItem] = {}
    for line in lines:
        if line.sku in merged:
            merged[line.sku] = OrderItem(sku=line.sku, description=line.description,
                                         quantity=merged[line.sku].quantity + line.quantity)
        else:
            merged[line.sku] = OrderItem(sku=line.sku, description=line.description, quantity=line.quantity)
    return list(merged.values())


def next_order_id(session: Session, year: int) -> str:
    """`ORD-2026-000042`: the next number of the year, never reused (the row lock
    on the year serializes concurrent orders; a rolled-back order frees its number)."""
    number = session.execute(text(
        "INSERT INTO order_numbers (year, last) VALUES (:year, 1) "
        "ON CONFLICT (year) DO UPDATE SET last = order_numbers.last + 1 RETURNING last"), {"year": year}).scalar_one()
    return f"ORD-{year:04d}-{number:06d}"


def _price_lines(session: Session, candidate_id: str, request: OrderRequest) -> list[LineView]:
    problems: dict[str, str] = {}
    lines: list[LineView] = []
    seen_entitlements: set[str] = set()
    purchases: dict[tuple[str, str], int] = {}
    for index, item in enumerate(request.items):
        where = f"items.{index}"
        certification = session.get(Certification, (candidate_id, item.certification_id))
        if item.kind == "entitlement":
            entitlement = session.scalar(select(Entitlement).where(
                Entitlement.candidate_id == candidate_id, Entitlement.certification_id == item.certification_id))
            # Someone else's entitlement "does not exist" for this candidate.
            if entitlement is None or not claimable(entitlement, certification):
                problems[where] = "There is no unclaimed kit for this certification."
                continue
            if item.certification_id in seen_entitlements:
                continue
            seen_entitlements.add(item.certification_id)
            lines.extend(LineView(kind="entitlement", certification_id=item.certification_id, sku=i["sku"],
                                  description=i["description"], quantity=i["quantity"], unit_price_cents=0,
                                  total_cents=0) for i in entitlement.items)
            continue
        if certification is None or certification.status != "active":
            problems[where] = "Kits can be bought only for your active certifications."
            continue
        kit = {i["sku"]: i for i in certification.kit if i["price_cents"] > 0}
        if item.sku not in kit:
            problems[where] = "This item is not sold for this certification."
            continue
        key = (item.certification_id, item.sku)
        purchases[key] = purchases.get(key, 0) + item.quantity
    for (certification_id, sku), quantity in purchases.items():
        certification = session.get(Certification, (candidate_id, certification_id))
        catalog_item = next(i for i in certification.kit if i["sku"] == sku)
        if quantity > 10:
            problems["items"] = f"At most 10 of {catalog_item['description']} per order."
        lines.append(LineView(kind="purchase", certification_id=certification_id, sku=sku,
                              description=catalog_item["description"], quantity=quantity,
                              unit_price_cents=catalog_item["price_cents"],
                              total_cents=catalog_item["price_cents"] * quantity))
    if problems:
        raise InvalidOrder(problems)
    return lines


# Each failed recording after a charge uses up one derived key; past this many,
# something is wrong beyond a retry and the candidate is told so.
CHARGE_ATTEMPTS = 5


def _charge_card(processor: PaymentProcessor, amount_cents: int, currency: str, payment_method: str,
                 key: str) -> Charge:
    """Charge once per checkout, never resting on a charge that was given back.

    The checkout's key answers its earlier charge, so a crash before the
    commit re-charges nothing. But if recording the order failed, that charge
    was refunded (`_refund_quietly`), and the same form is submitted again with
    the same key: the retry then charges anew under the next derived key
    (`<key>:2`, `<key>:3`…), each of them idempotent in turn.
    """
    for attempt in range(1, CHARGE_ATTEMPTS + 1):
        attempt_key = key if attempt == 1 else f"{key}:{attempt}"
        charge = processor.charge(amount_cents, currency, payment_method, idempotency_key=attempt_key)  # CardDeclined
        if not charge.refunded:
            return charge
        log.info("charge %s under key %s was refunded after a failed order: charging anew",
                 charge.reference, attempt_key)
    raise PaymentDeclined({"card": "We could not record your order and gave back every payment taken for it, so "
                                   "nothing stays charged to your card. Please start your checkout again later."})


def _refund_quietly(processor: PaymentProcessor, charge) -> None:
    try:
        processor.refund(charge.reference, charge.amount_cents, idempotency_key=f"void:{charge.reference}")
    except Exception:
        log.exception("could not refund charge %s of an order that was not recorded", charge.reference)


# -- reading and cancelling --------------------------------------------------------------
def own_order(session: Session, candidate_id: str | None, order_id: str, lock: bool = False) -> Order:
    """The order, or OrderNotFound — also when it belongs to another candidate."""
    order = session.get(Order, order_id, with_for_update=lock) if order_id else None
    if order is None or (candidate_id is not None and order.candidate_id != candidate_id):
        raise OrderNotFound({"order_id": order_id})
    return order


def list_orders(session: Session, candidate_id: str) -> OrderList:
    orders = session.scalars(select(Order).where(Order.candidate_id == candidate_id)
                             .order_by(Order.placed_at.desc(), Order.order_id.desc())).all()
    return OrderList(items=[order_view(order) for order in orders])


def cancel_order(session: Session, outbox, candidate_id: str | None, order_id: str, reason: str,
                 now: datetime) -> OrderView:
    order = own_order(session, candidate_id, order_id, lock=True)
    if order.status not in CANCELLABLE:
        raise OrderNotCancellable({"order_id": order_id, "status": order.status})
    order.status, order.updated_at = "cancelled", now
    session.add(OrderStatusChange(order_id=order.order_id, status="cancelled", occurred_at=now, recorded_at=now,
                                  source="candidate", applied=True, detail={"reason": reason}))
    release_entitlements(session, order.order_id)
    outbox.publish(OrderCancelledV1(schema_version=1, event_id=f"ful-{uuid.uuid4()}", order_id=order.order_id,
                                    cancelled_at=now, reason=reason))
    session.flush()
    session.refresh(order)
    return order_view(order)


def release_entitlements(session: Session, order_id: str) -> bool:
    """A cancelled or rejected order gives its free kit back to be claimed again."""
    released = False
    for entitlement in session.scalars(select(Entitlement).where(Entitlement.order_id == order_id)):
        entitlement.order_id = None
        released = True
    return released


# Warehouse reports that contradict a closed (cancelled or rejected) order: the parcel may have left after all.
CONTRADICTS_CLOSING = {"shipped", "delivered"}


def needs_attention(order: Order) -> bool:
    """A shipped or delivered reported after the order was closed (shipments), and no
    staff status entry (a correction or a confirmation) since: staff should find
    out whether the parcel left. A refund is not an answer to that question."""
    for change in reversed(order.changes):
        if change.source == "staff" and change.status != "refunded":
            return False
        if (change.source == "warehouse" and change.status in CONTRADICTS_CLOSING
                and (change.detail or {}).get("reported_after")):
            return True
    return False


def order_view(order: Order) -> OrderView:
    payment = None
    if order.payment_reference:
        payment = PaymentView(brand=order.card_brand, last4=order.card_last4, reference=order.payment_reference,
                              amount_cents=order.total_cents, refunded_cents=order.refunded_cents or 0,
                              refund_reference=order.refund_reference)
    return OrderView(
        order_id=order.order_id, candidate_id=order.candidate_id, status=order.status, placed_at=order.placed_at,
        items=[LineView(kind=line.kind, certification_id=line.certification_id, sku=line.sku,
                        description=line.description, quantity=line.quantity,
                        unit_price_cents=line.unit_price_cents, total_cents=line.unit_price_cents * line.quantity)
               for line in order.lines],
        ship_to=order.ship_to,
        shipping=ShippingView(method=order.shipping_method, fee_cents=order.shipping_fee_cents,
                              carrier=order.carrier, tracking_number=order.tracking_number),
        items_total_cents=order.items_total_cents, total_cents=order.total_cents, currency=order.currency,
        payment_required=order.total_cents > 0, payment=payment,
        history=[StatusChangeView(status=c.status, occurred_at=c.occurred_at, recorded_at=c.recorded_at,
                                  source=c.source, applied=c.applied, detail=c.detail or {})
                 for c in order.changes],
        cancellable=order.status in CANCELLABLE,
        needs_attention=needs_attention(order),
    )
