"""Claims and purchases: payment (through the test run's payment sandbox), idempotency, the
order_placed contract, privacy."""
from __future__ import annotations

import json
import logging
import re

import pytest
from nameko.exceptions import RemoteError
from sqlalchemy import create_engine, text

from certtrack_shared.contracts import parse_message
from tests.harness.messages import capture_queue, drain

from services.fulfillment.tests.support import SUCCESS, US_ADDRESS, achieve, place, register


def _detail(error: RemoteError) -> dict:
    return json.loads(error.value)


def _failing_once(record_order):
    """`_record_order` as if the database failed just after it, once: that order's transaction rolls back."""
    failed = []

    def record_then_fail(*args, **kwargs):
        recorded = record_order(*args, **kwargs)
        if not failed:
            failed.append(True)
            raise RuntimeError("the database went away while recording the order")
        return recorded
    return record_then_fail


@pytest.mark.parametrize("number, words", [
    ("4000 0000 0000 0002", "declined"),
    ("4000 0000 0000 9995", "insufficient funds"),
    ("4000 0000 0000 0069", "expired"),
    ("4000 0000 0000 0127", "security code (CVC) is incorrect"),
    ("4111 1111 1111 1111", "only accepts test card numbers"),  # a real-looking card, not a test one
])
def test_a_refused_card_places_no_order_charges_nothing_and_says_why(rpc, amqp_uri, payment_sandbox, number, words):
    achieve(amqp_uri, rpc, "CSCO20000001")
    token = payment_sandbox.tokenize(number)["id"]  # what the checkout page's script sends on
    with pytest.raises(RemoteError) as refused:
        place(rpc, "CSCO20000001", payment_method=token)  # tracked shipping: $15.00 to pay

    assert refused.value.exc_type == "PaymentDeclined"
    assert words in _detail(refused.value)["card"]
    assert rpc.list_orders("CSCO20000001") == {"items": []}
    assert payment_sandbox.charges("CSCO20000001") == []
    assert rpc.fulfillment_overview("CSCO20000001")["entitlements"][0]["claimable"] is True


@pytest.mark.parametrize("payment_method", ["pm_made_up_by_someone", "4242424242424242", "pm_4242 4242"])
def test_a_token_the_processor_never_gave_or_a_card_number_places_nothing(rpc, amqp_uri, payment_sandbox,
                                                                          payment_method):
    achieve(amqp_uri, rpc, "CSCO20000018")
    with pytest.raises(RemoteError) as refused:
        place(rpc, "CSCO20000018", payment_method=payment_method)
    assert refused.value.exc_type in ("PaymentDeclined", "InvalidOrder")
    assert payment_method not in refused.value.value  # a number sent by mistake is not echoed
    assert rpc.list_orders("CSCO20000018") == {"items": []}
    assert payment_sandbox.charges("CSCO20000018") == []


def test_a_processor_out_of_reach_places_nothing_and_the_retry_charges_once(rpc, amqp_uri, payment_sandbox):
    achieve(amqp_uri, rpc, "CSCO20000019")
    payment_sandbox.stop()
    try:
        with pytest.raises(RemoteError) as unavailable:
            place(rpc, "CSCO20000019", key="checkout-unavailable-0001")
    finally:
        payment_sandbox.start()
    assert unavailable.value.exc_type == "PaymentUnavailable"
    assert "try again" in _detail(unavailable.value)["card"]
    assert rpc.list_orders("CSCO20000019") == {"items": []}
    order = place(rpc, "CSCO20000019", key="checkout-unavailable-0001")
    assert [row[1:] for row in payment_sandbox.charges("CSCO20000019")] == [(1500, "visa", "4242", 0)]
    assert order["payment"]["reference"] == payment_sandbox.charges("CSCO20000019")[0][0]


def test_the_same_idempotency_key_twice_charges_once_and_answers_the_same_order(rpc, amqp_uri, payment_sandbox):
    achieve(amqp_uri, rpc, "CSCO20000002")
    items = [{"kind": "entitlement", "certification_id": "ccna"},
             {"kind": "purchase", "certification_id": "ccna", "sku": "CCNA-PLAQUE"}]
    first = place(rpc, "CSCO20000002", key="checkout-0001", items=items)
    second = place(rpc, "CSCO20000002", key="checkout-0001", items=items)

    assert second == first
    assert re.fullmatch(r"ORD-\d{4}-\d{6}", first["order_id"])
    assert first["total_cents"] == 7500 + 1500
    assert first["payment"]["brand"] == "visa" and first["payment"]["last4"] == "4242"
    assert len(rpc.list_orders("CSCO20000002")["items"]) == 1
    assert [row[1:] for row in payment_sandbox.charges("CSCO20000002")] == [(9000, "visa", "4242", 0)]


def test_a_retry_after_a_failed_recording_is_paid_by_a_new_charge_not_the_refunded_one(
        rpc, amqp_uri, payment_sandbox, monkeypatch):
    from fulfillment.handlers import orders
    monkeypatch.setattr(orders, "_record_order", _failing_once(orders._record_order))
    achieve(amqp_uri, rpc, "CSCO20000017")
    with pytest.raises(RemoteError):
        place(rpc, "CSCO20000017", key="checkout-retry-0001")  # charged, then the order failed
    [(voided, amount, _, _, refunded)] = payment_sandbox.charges("CSCO20000017")
    assert refunded == amount == 1500  # given back at once
    assert rpc.list_orders("CSCO20000017") == {"items": []}

    order = place(rpc, "CSCO20000017", key="checkout-retry-0001")  # the same form, submitted again
    assert order["payment"]["reference"] != voided
    assert [(row[0], row[1], row[4]) for row in payment_sandbox.charges("CSCO20000017")] == [
        (voided, 1500, 1500), (order["payment"]["reference"], 1500, 0)]
    # And the retry is idempotent in its turn: one order, no third charge.
    assert place(rpc, "CSCO20000017", key="checkout-retry-0001") == order
    assert len(payment_sandbox.charges("CSCO20000017")) == 2
    assert [o["order_id"] for o in rpc.list_orders("CSCO20000017")["items"]] == [order["order_id"]]


def test_order_numbers_follow_a_sequence_per_year(rpc, amqp_uri):
    achieve(amqp_uri, rpc, "CSCO20000003")
    purchase = [{"kind": "purchase", "certification_id": "ccna", "sku": "CCNA-CERT-COPY"}]
    numbers = [place(rpc, "CSCO20000003", items=purchase)["order_id"] for _ in range(3)]
    year = numbers[0][4:8]
    assert numbers == [f"ORD-{year}-000001", f"ORD-{year}-000002", f"ORD-{year}-000003"]


def test_order_placed_reaches_the_warehouse_queue_in_the_contract_shape(rpc, amqp_uri):
    watched = capture_queue(amqp_uri, "fulfillment.events", "order_placed")
    achieve(amqp_uri, rpc, "CSCO20000004")
    order = place(rpc, "CSCO20000004", payment_method=SUCCESS)

    [message] = drain(amqp_uri, watched)
    body = json.loads(message["body"])
    assert message["message_id"] == body["event_id"]
    assert message["properties"]["delivery_mode"] == 2
    assert message["properties"]["content_type"] == "application/json"
    assert set(body) == {"schema_version", "event_id", "order_id", "placed_at", "candidate_id", "ship_to",
                         "items", "shipping"}
    assert body["schema_version"] == 1 and body["order_id"] == order["order_id"]
    assert body["candidate_id"] == "CSCO20000004"
    assert body["ship_to"] == US_ADDRESS
    assert body["items"] == [{"sku": "CCNA-CERT", "description": "CCNA certificate", "quantity": 1}]
    assert body["shipping"] == {"method": "tracked"}
    assert body["placed_at"].endswith(("Z", "+00:00"))
    parse_message("fulfillment.events", "order_placed", message["body"])  # and the model agrees


def test_a_free_claim_with_standard_shipping_needs_no_card(rpc, amqp_uri, payment_sandbox):
    achieve(amqp_uri, rpc, "CSCO20000005")
    order = place(rpc, "CSCO20000005", payment_method=None, shipping="standard")
    assert order["total_cents"] == 0 and order["payment"] is None
    assert [h["status"] for h in order["history"]] == ["placed"]
    assert payment_sandbox.charges("CSCO20000005") == []
    # The kit is claimed: it cannot be claimed twice.
    assert rpc.fulfillment_overview("CSCO20000005")["entitlements"][0]["claimable"] is False
    with pytest.raises(RemoteError) as again:
        place(rpc, "CSCO20000005", payment_method=None, shipping="standard")
    assert again.value.exc_type == "InvalidOrder"


@pytest.mark.parametrize("changes, field", [
    ({"region": None}, "ship_to.region"),
    ({"region": "ZZ"}, "ship_to.region"),
    ({"postal_code": "9513"}, "ship_to.postal_code"),
    ({"country": "XX"}, "ship_to.country"),
    ({"country": "GB", "region": None, "postal_code": "12345"}, "ship_to.postal_code"),
    ({"line1": " "}, "ship_to.line1"),
])
def test_an_invalid_address_is_refused_field_by_field(rpc, amqp_uri, changes, field):
    achieve(amqp_uri, rpc, "CSCO20000006")
    with pytest.raises(RemoteError) as refused:
        place(rpc, "CSCO20000006", ship_to={**US_ADDRESS, **changes})
    assert refused.value.exc_type == "InvalidOrder"
    assert field in _detail(refused.value)
    assert rpc.list_orders("CSCO20000006") == {"items": []}


def test_cancelling_before_shipping_tells_the_warehouse_and_frees_the_kit_then_staff_refund(rpc, amqp_uri):
    watched = capture_queue(amqp_uri, "fulfillment.events", "order_cancelled")
    achieve(amqp_uri, rpc, "CSCO20000007")
    order = place(rpc, "CSCO20000007")
    cancelled = rpc.cancel_order(candidate_id="CSCO20000007", order_id=order["order_id"])

    assert cancelled["status"] == "cancelled" and cancelled["cancellable"] is False
    [message] = drain(amqp_uri, watched)
    body = json.loads(message["body"])
    assert message["message_id"] == body["event_id"] and message["properties"]["delivery_mode"] == 2
    # CONTRACTS.md §3, exactly: these five fields and no others.
    assert set(body) == {"schema_version", "event_id", "order_id", "cancelled_at", "reason"}
    assert body["schema_version"] == 1 and body["order_id"] == order["order_id"] and body["reason"]
    assert body["cancelled_at"].endswith(("Z", "+00:00"))
    parse_message("fulfillment.events", "order_cancelled", message["body"])
    assert rpc.fulfillment_overview("CSCO20000007")["entitlements"][0]["claimable"] is True
    due = rpc.staff_search_orders(refund_due=True)["items"]
    assert [o["order_id"] for o in due] == [order["order_id"]]

    refunded = rpc.staff_refund_order(order_id=order["order_id"], staff_member="ops@certtrack.example")
    assert refunded["payment"]["refunded_cents"] == 1500 and refunded["payment"]["refund_reference"]
    with pytest.raises(RemoteError) as twice:
        rpc.staff_refund_order(order_id=order["order_id"], staff_member="ops@certtrack.example")
    assert twice.value.exc_type == "RefundNotAllowed"
    assert rpc.staff_search_orders(refund_due=True)["items"] == []


def test_staff_correct_a_status_with_who_and_why_kept_in_history(rpc, amqp_uri):
    achieve(amqp_uri, rpc, "CSCO20000008")
    order = place(rpc, "CSCO20000008")
    corrected = rpc.staff_correct_status(order_id=order["order_id"], status="shipped",
                                         reason="the warehouse confirmed by phone",
                                         staff_member="ops@certtrack.example")
    assert corrected["status"] == "shipped"
    last = corrected["history"][-1]
    assert last["source"] == "staff"
    assert last["detail"] == {"staff": "ops@certtrack.example", "reason": "the warehouse confirmed by phone",
                              "previous": "placed"}
    found = rpc.staff_search_orders(candidate_id="CSCO20000008", status="shipped")["items"]
    assert [o["order_id"] for o in found] == [order["order_id"]]


def test_a_staff_correction_needs_a_reason_in_plain_words_and_a_new_status(rpc, amqp_uri):
    achieve(amqp_uri, rpc, "CSCO20000015")
    order = place(rpc, "CSCO20000015")
    with pytest.raises(RemoteError) as no_reason:
        rpc.staff_correct_status(order_id=order["order_id"], status="shipped", reason="",
                                 staff_member="ops@certtrack.example")
    assert no_reason.value.exc_type == "InvalidStatusCorrection"
    assert _detail(no_reason.value) == {
        "reason": "Give a reason of 3 to 500 characters: it is kept in the order's history."}
    with pytest.raises(RemoteError) as same:
        rpc.staff_correct_status(order_id=order["order_id"], status="placed", reason="checking",
                                 staff_member="ops@certtrack.example")
    assert _detail(same.value) == {"status": "The order is already placed."}
    assert [h["status"] for h in rpc.get_order(candidate_id="CSCO20000015", order_id=order["order_id"])["history"]] \
        == ["placed"]


def test_a_staff_correction_to_cancelled_frees_the_kit_and_reopening_claims_it_back(rpc, amqp_uri):
    achieve(amqp_uri, rpc, "CSCO20000016")
    order_id = place(rpc, "CSCO20000016")["order_id"]
    rpc.staff_correct_status(order_id=order_id, status="cancelled", reason="the candidate asked by phone",
                             staff_member="ops@certtrack.example")
    [kit] = rpc.fulfillment_overview("CSCO20000016")["entitlements"]
    assert kit["claimable"] is True and kit["order_id"] is None
    rpc.staff_correct_status(order_id=order_id, status="shipped", reason="it had left already",
                             staff_member="ops@certtrack.example")
    [kit] = rpc.fulfillment_overview("CSCO20000016")["entitlements"]
    assert kit["claimable"] is False and kit["order_id"] == order_id

    # Closed again, and the kit claimed by a new order: reopening the old one is refused.
    rpc.staff_correct_status(order_id=order_id, status="rejected", reason="returned to sender",
                             staff_member="ops@certtrack.example")
    second = place(rpc, "CSCO20000016")["order_id"]
    with pytest.raises(RemoteError) as refused:
        rpc.staff_correct_status(order_id=order_id, status="placed", reason="mistake",
                                 staff_member="ops@certtrack.example")
    assert refused.value.exc_type == "InvalidStatusCorrection" and second in _detail(refused.value)["status"]
    assert rpc.get_order(candidate_id="CSCO20000016", order_id=order_id)["status"] == "rejected"


def test_another_candidate_can_neither_see_claim_nor_cancel(rpc, amqp_uri):
    achieve(amqp_uri, rpc, "CSCO20000010")
    order = place(rpc, "CSCO20000010")

    assert rpc.fulfillment_overview("CSCO20000011")["entitlements"] == []
    assert rpc.list_orders("CSCO20000011") == {"items": []}
    with pytest.raises(RemoteError) as seen:
        rpc.get_order(candidate_id="CSCO20000011", order_id=order["order_id"])
    assert seen.value.exc_type == "OrderNotFound"
    with pytest.raises(RemoteError) as cancelled:
        rpc.cancel_order(candidate_id="CSCO20000011", order_id=order["order_id"])
    assert cancelled.value.exc_type == "OrderNotFound"
    with pytest.raises(RemoteError) as claimed:
        place(rpc, "CSCO20000011")  # claims "ccna", which only CSCO20000010 holds
    assert claimed.value.exc_type == "InvalidOrder"
    # Reusing the other candidate's idempotency key gives the intruder nothing either.
    assert rpc.get_order(candidate_id="CSCO20000010", order_id=order["order_id"])["status"] == "placed"


def test_card_number_and_cvc_are_neither_stored_nor_logged(rpc, amqp_uri, fulfillment_config, payment_sandbox,
                                                           caplog):
    caplog.set_level(logging.DEBUG)
    achieve(amqp_uri, rpc, "CSCO20000012")
    paid = payment_sandbox.tokenize("4242424242424242", 11, 2031, "987")["id"]
    place(rpc, "CSCO20000012", payment_method=paid)
    declined = payment_sandbox.tokenize("4000000000009995", 11, 2031, "987")["id"]
    with pytest.raises(RemoteError):
        place(rpc, "CSCO20000012", items=[{"kind": "purchase", "certification_id": "ccna", "sku": "CCNA-PLAQUE"}],
              payment_method=declined)

    engine = create_engine(fulfillment_config["DATABASE_URL"])
    dump = []
    try:
        with engine.connect() as connection:
            tables = connection.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
            for table in tables:
                dump.extend(str(tuple(row)) for row in connection.execute(text(f'SELECT * FROM "{table}"')))
    finally:
        engine.dispose()
    everything = "\n".join(dump)
    assert "4242" in everything  # the last four digits are kept, so the search itself works
    sandbox_log = payment_sandbox.log.read_text()
    for secret in ("4242424242424242", "4242 4242 4242 4242", "4000000000009995"):
        assert secret not in everything
        assert secret not in caplog.text
        assert secret not in sandbox_log  # nor does the processor's side log it
    # The CVC on its own (not as part of a hex id or a longer number) and no field for it.
    cvc = re.compile(r"(?<![0-9a-fA-F])987(?![0-9a-fA-F])")
    assert not cvc.search(everything) and not cvc.search(caplog.text)
    assert "cvc" not in everything.lower()


def test_a_double_click_sends_two_requests_at_once_and_still_charges_once(rpc, amqp_uri, payment_sandbox):
    import eventlet
    from nameko.standalone.rpc import ClusterRpcProxy

    achieve(amqp_uri, rpc, "CSCO20000013")

    def click():
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=20) as proxy:
            return place(proxy.fulfillment, "CSCO20000013", key="double-click-0001")

    pool = eventlet.GreenPool()
    first, second = pool.starmap(click, [(), ()])
    assert first["order_id"] == second["order_id"]
    assert len(rpc.list_orders("CSCO20000013")["items"]) == 1
    assert len(payment_sandbox.charges("CSCO20000013")) == 1


def test_the_congratulation_waits_for_the_candidates_email(rpc, amqp_uri, smtp_server):
    achieve(amqp_uri, rpc, "CSCO20000014")  # identity's event has not arrived yet
    register(amqp_uri, "CSCO20000014", email="late.identity@example.com")
    from tests.harness.messages import wait_for

    [mail] = wait_for(lambda: [m for m in smtp_server.messages() if "late.identity@example.com" in str(m["To"])],
                      message="the congratulation mail once the email is known")
    assert "claim your certificate kit" in mail["Subject"]
