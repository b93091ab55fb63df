"""The fulfillment Nameko service: entrypoints only; each hands its arguments
to one rule in `fulfillment.handlers` (the payment processor is
`fulfillment.payments`, a dependency)."""
from nameko.dependency_providers import Config

from certtrack_shared import deadletters, health
from certtrack_shared.clock import ClockProvider
from certtrack_shared.consumer import BATCH_SIZE, event_consumer
from certtrack_shared.database import Database
from certtrack_shared.entrypoints import rpc
from certtrack_shared.outbox import Outbox
from certtrack_shared.validation import parse

from fulfillment.handlers import declines, kits, orders, shipments, staff
from fulfillment.exceptions import ORDER_ERRORS, STAFF_ERRORS, InvalidOrder
from fulfillment.payments import Payments
from fulfillment.schemas import OrderRequest, OrderSearch, PlaceOrderRequest, StatusCorrection


class FulfillmentService(deadletters.DeadLetterDesk):
    """Also the dead-letter RPCs of its queues (list/get/replay/discard_dead_letter)."""

    name = "fulfillment"

    db = Database()
    outbox = Outbox()
    clock = ClockProvider()
    payments = Payments()
    config = Config()

    @property
    def tracked_fee_cents(self) -> int:
        return int(self.config.get("TRACKED_SHIPPING_FEE_CENTS", 1500))

    @property
    def currency(self) -> str:
        return str(self.config.get("CURRENCY", "USD"))

    @rpc
    def health(self):
        return health.check(self.db, self.name).model_dump(mode="json")

    # -- candidates (the gateway passes the session's or token's candidate) ---------------
    @rpc(expected_exceptions=ORDER_ERRORS)
    def fulfillment_overview(self, candidate_id):
        return kits.overview(self.db, candidate_id, self.tracked_fee_cents, self.currency).model_dump(mode="json")

    @rpc(expected_exceptions=ORDER_ERRORS)
    def quote_order(self, candidate_id, items, ship_to, shipping_method):
        request = parse(OrderRequest, dict(items=items, ship_to=ship_to, shipping_method=shipping_method), InvalidOrder)
        return orders.quote(self.db, candidate_id, request, self.tracked_fee_cents, self.currency).model_dump(mode="json")

    @rpc(expected_exceptions=ORDER_ERRORS)
    def place_order(self, candidate_id, idempotency_key, items, ship_to, shipping_method, payment_method=None,
                    client_address=None):
        """`payment_method`: the processor's `pm_…` token (never a card); `client_address`: the address
        the gateway trusts for rate limits (the card-testing limit)."""
        request = parse(PlaceOrderRequest, dict(idempotency_key=idempotency_key, items=items, ship_to=ship_to,
                                                shipping_method=shipping_method, payment_method=payment_method),
                        InvalidOrder)
        return orders.place_order(self.db, self.outbox, self.payments, candidate_id, request,
                                  self.tracked_fee_cents, self.currency, self.clock(),
                                  client_address=client_address).model_dump(mode="json")

    @rpc(expected_exceptions=ORDER_ERRORS)
    def list_orders(self, candidate_id):
        return orders.list_orders(self.db, candidate_id).model_dump(mode="json")

    @rpc(expected_exceptions=ORDER_ERRORS)
    def get_order(self, candidate_id, order_id):
        return orders.order_view(orders.own_order(self.db, candidate_id, order_id)).model_dump(mode="json")

    @rpc(expected_exceptions=ORDER_ERRORS)
    def cancel_order(self, candidate_id, order_id):
        return orders.cancel_order(self.db, self.outbox, candidate_id, order_id, "cancelled by the candidate",
                                   self.clock()).model_dump(mode="json")

    # -- staff (the gateway checks the staff session) -------------------------------------
    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_search_orders(self, order_id=None, candidate_id=None, status=None, refund_due=False,
                            needs_attention=False):
        search = parse(OrderSearch, dict(order_id=order_id or None, candidate_id=candidate_id or None,
                                         status=status or None, refund_due=bool(refund_due),
                                         needs_attention=bool(needs_attention)), InvalidOrder)
        return staff.search_orders(self.db, search).model_dump(mode="json")

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_payment_declines(self):
        return declines.report(self.db, self.clock()).model_dump(mode="json")

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_get_order(self, order_id):
        return orders.order_view(orders.own_order(self.db, None, order_id)).model_dump(mode="json")

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_correct_status(self, order_id, status, reason, staff_member):
        correction = parse(StatusCorrection, dict(order_id=order_id, status=status, reason=reason, staff=staff_member),
                           staff.correction_refused, depth=1)
        return staff.correct_status(self.db, correction, self.clock()).model_dump(mode="json")

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_refund_order(self, order_id, staff_member):
        return staff.refund_order(self.db, self.payments, order_id, staff_member, self.clock()).model_dump(mode="json")

    # -- events -----------------------------------------------------------------------------
    # The queues a new candidate's first results flow through are applied in
    # batches of BATCH_SIZE, one transaction each (decision 0038).
    @event_consumer("certs.events", "certification_achieved", batch_size=BATCH_SIZE)
    def handle_certification_achieved(self, event):
        kits.record_certification(self.db, self.outbox, event, self.clock())

    @event_consumer("certs.events", "certification_recertified")
    def handle_certification_recertified(self, event):
        kits.record_certification(self.db, self.outbox, event, self.clock())

    @event_consumer("certs.events", "certification_expired")
    def handle_certification_expired(self, event):
        kits.record_certification(self.db, self.outbox, event, self.clock())

    @event_consumer("certs.events", "certification_revoked")
    def handle_certification_revoked(self, event):
        kits.record_certification(self.db, self.outbox, event, self.clock())

    @event_consumer("identity.events", "candidate_registered", batch_size=BATCH_SIZE)
    def handle_candidate_registered(self, event):
        kits.record_candidate(self.db, self.outbox, event, self.clock())

    @event_consumer("identity.events", "candidate_profile_updated")
    def handle_candidate_profile_updated(self, event):
        kits.record_candidate(self.db, self.outbox, event, self.clock())

    @event_consumer("warehouse.events", "order_shipped")
    def handle_order_shipped(self, event):
        shipments.record_shipped(self.db, self.outbox, event, self.clock())

    @event_consumer("warehouse.events", "order_delivered")
    def handle_order_delivered(self, event):
        shipments.record_delivered(self.db, self.outbox, event, self.clock())

    @event_consumer("warehouse.events", "order_rejected")
    def handle_order_rejected(self, event):
        shipments.record_rejected(self.db, self.outbox, event, self.clock())
