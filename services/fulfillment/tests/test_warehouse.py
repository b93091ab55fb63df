"""The warehouse's side: orders wait for it, and its answers never corrupt a status."""
from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from nameko.exceptions import RemoteError

from tests.harness.broker import Vhost
from tests.harness.messages import publish_raw, wait_for

from services.fulfillment.tests.support import achieve, place, register

ROOT = Path(__file__).resolve().parents[3]
PURCHASE = [{"kind": "purchase", "certification_id": "ccna", "sku": "CCNA-CERT-COPY"}]


def _answer(amqp_uri, event_type, **body):
    event = {"schema_version": 1, "event_id": f"wh-{uuid.uuid4()}", **body}
    publish_raw(amqp_uri, "warehouse.events", event_type, event, message_id=event["event_id"])
    return event


def _queue_depth(fulfillment_config, queue):
    vhost = Vhost(fulfillment_config["AMQP_URI"].rsplit("/", 1)[1].replace("%2F", "/"))
    return vhost.queue(queue).get("messages", 0)


def test_orders_placed_while_the_warehouse_is_offline_all_reach_it_when_it_returns(
        rpc, amqp_uri, fulfillment_config):
    achieve(amqp_uri, rpc, "CSCO30000001")
    orders = [place(rpc, "CSCO30000001", items=PURCHASE, shipping="standard")["order_id"] for _ in range(50)]
    assert len(set(orders)) == 50
    # Nobody consumes warehouse.orders yet: the broker keeps every order for it.
    wait_for(lambda: _queue_depth(fulfillment_config, "warehouse.orders") == 50, timeout=30,
             message="50 orders queued for the warehouse")

    simulator = subprocess.Popen(
        [sys.executable, str(ROOT / "deploy" / "warehouse_simulator.py"), "--amqp-uri", amqp_uri,
         "--ship-after", "0.1", "--deliver-after", "0.1", "--reject-fraction", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def all_delivered():
            statuses = [o["status"] for o in rpc.list_orders("CSCO30000001")["items"]]
            return len(statuses) == 50 and set(statuses) == {"delivered"}
        wait_for(all_delivered, timeout=90, interval=1, message="all 50 orders delivered")
    finally:
        simulator.terminate()
        simulator.wait(10)
    order = rpc.get_order(candidate_id="CSCO30000001", order_id=orders[0])
    assert [h["status"] for h in order["history"]] == ["placed", "shipped", "delivered"]
    assert order["shipping"]["carrier"] and order["shipping"]["tracking_number"] is None  # standard: untracked


def test_shipped_then_delivered_then_duplicates_keep_one_history(rpc, amqp_uri, smtp_server):
    register(amqp_uri, "CSCO30000002", email="ship.two@example.com")
    achieve(amqp_uri, rpc, "CSCO30000002")
    order_id = place(rpc, "CSCO30000002")["order_id"]
    shipped = _answer(amqp_uri, "order_shipped", order_id=order_id, shipped_at="2026-12-03T09:00:00Z",
                      carrier="UPS", tracking_number="1Z999AA10123456784")
    wait_for(lambda: rpc.get_order(candidate_id="CSCO30000002", order_id=order_id)["status"] == "shipped")
    publish_raw(amqp_uri, "warehouse.events", "order_shipped", shipped, message_id=shipped["event_id"])  # same id
    _answer(amqp_uri, "order_shipped", order_id=order_id, shipped_at="2026-12-03T09:00:00Z",
            carrier="UPS", tracking_number="1Z999AA10123456784")  # same fact, new id
    _answer(amqp_uri, "order_delivered", order_id=order_id, delivered_at="2026-12-05T15:00:00Z")
    wait_for(lambda: rpc.get_order(candidate_id="CSCO30000002", order_id=order_id)["status"] == "delivered")
    _answer(amqp_uri, "order_delivered", order_id=order_id, delivered_at="2026-12-05T15:00:00Z")
    _answer(amqp_uri, "order_rejected", order_id=order_id, reason="undeliverable address")  # too late
    wait_for(lambda: len(rpc.get_order(candidate_id="CSCO30000002", order_id=order_id)["history"]) == 4,
             message="the late rejection recorded")

    order = rpc.get_order(candidate_id="CSCO30000002", order_id=order_id)
    assert order["status"] == "delivered"
    assert [(h["status"], h["applied"]) for h in order["history"]] == [
        ("placed", True), ("shipped", True), ("delivered", True), ("rejected", False)]
    assert order["shipping"]["tracking_number"] == "1Z999AA10123456784"
    assert order["history"][1]["occurred_at"].startswith("2026-12-03T09:00:00")
    mails = wait_for(lambda: [m for m in smtp_server.messages() if "ship.two@example.com" in str(m["To"])
                              and "shipped" in m["Subject"]], message="the shipment mail")
    assert len(mails) == 1 and "1Z999AA10123456784" in mails[0].get_body(("plain",)).get_content()


def test_delivered_before_shipped_records_delivered_and_keeps_the_late_shipment_in_history(rpc, amqp_uri):
    achieve(amqp_uri, rpc, "CSCO30000003")
    order_id = place(rpc, "CSCO30000003")["order_id"]
    _answer(amqp_uri, "order_delivered", order_id=order_id, delivered_at="2026-12-05T15:00:00Z")
    wait_for(lambda: rpc.get_order(candidate_id="CSCO30000003", order_id=order_id)["status"] == "delivered")
    _answer(amqp_uri, "order_shipped", order_id=order_id, shipped_at="2026-12-03T09:00:00Z",
            carrier="UPS", tracking_number="1Z999AA10123456785")
    wait_for(lambda: len(rpc.get_order(candidate_id="CSCO30000003", order_id=order_id)["history"]) == 3)

    order = rpc.get_order(candidate_id="CSCO30000003", order_id=order_id)
    assert order["status"] == "delivered"
    assert [(h["status"], h["applied"]) for h in order["history"]] == [
        ("placed", True), ("delivered", True), ("shipped", False)]
    assert order["shipping"]["tracking_number"] == "1Z999AA10123456785"  # still worth showing
    assert order["history"][2]["detail"] == {"carrier": "UPS", "tracking_number": "1Z999AA10123456785"}
    assert order["history"][2]["occurred_at"].startswith("2026-12-03T09:00:00")


def _history_length(rpc, candidate_id, order_id, length):
    return len(rpc.get_order(candidate_id=candidate_id, order_id=order_id)["history"]) == length


def test_a_cancelled_order_stays_cancelled_when_the_warehouse_reports_it_shipped_later(rpc, amqp_uri, smtp_server):
    register(amqp_uri, "CSCO30000007", email="late.ship@example.com")
    achieve(amqp_uri, rpc, "CSCO30000007")
    order_id = place(rpc, "CSCO30000007")["order_id"]  # the free kit, tracked shipping paid: $15.00
    rpc.cancel_order(candidate_id="CSCO30000007", order_id=order_id)
    _answer(amqp_uri, "order_shipped", order_id=order_id, shipped_at="2026-12-03T09:00:00Z",
            carrier="UPS", tracking_number="1Z999AA10123456786")
    wait_for(lambda: _history_length(rpc, "CSCO30000007", order_id, 3), message="the late shipment recorded")
    _answer(amqp_uri, "order_delivered", order_id=order_id, delivered_at="2026-12-05T15:00:00Z")
    wait_for(lambda: _history_length(rpc, "CSCO30000007", order_id, 4), message="the late delivery recorded")

    order = rpc.get_order(candidate_id="CSCO30000007", order_id=order_id)
    assert order["status"] == "cancelled"
    assert [(h["status"], h["applied"]) for h in order["history"]] == [
        ("placed", True), ("cancelled", True), ("shipped", False), ("delivered", False)]
    assert order["history"][2]["detail"] == {"carrier": "UPS", "tracking_number": "1Z999AA10123456786",
                                             "reported_after": "cancelled"}
    assert order["history"][3]["detail"] == {"reported_after": "cancelled"}
    assert order["needs_attention"] is True
    # The paid order is still owed its refund, and staff find it among the orders to look at.
    assert order_id in [o["order_id"] for o in rpc.staff_search_orders(refund_due=True)["items"]]
    assert [o["order_id"] for o in rpc.staff_search_orders(needs_attention=True)["items"]] == [order_id]
    # The kit the cancellation freed can be claimed once more, and only once.
    place(rpc, "CSCO30000007")
    assert rpc.fulfillment_overview("CSCO30000007")["entitlements"][0]["claimable"] is False
    with pytest.raises(RemoteError) as twice:
        place(rpc, "CSCO30000007")
    assert twice.value.exc_type == "InvalidOrder"
    # Nothing moved, so the candidate is not told the cancelled order shipped.
    assert not [m for m in smtp_server.messages() if "late.ship@example.com" in str(m["To"])
                and "shipped" in m["Subject"]]


def test_a_late_rejection_of_a_cancelled_and_refunded_order_changes_nothing(rpc, amqp_uri):
    achieve(amqp_uri, rpc, "CSCO30000008")
    order_id = place(rpc, "CSCO30000008")["order_id"]
    rpc.cancel_order(candidate_id="CSCO30000008", order_id=order_id)
    rpc.staff_refund_order(order_id=order_id, staff_member="ops@certtrack.example")
    _answer(amqp_uri, "order_rejected", order_id=order_id, reason="undeliverable address")
    wait_for(lambda: _history_length(rpc, "CSCO30000008", order_id, 4), message="the late rejection recorded")

    order = rpc.get_order(candidate_id="CSCO30000008", order_id=order_id)
    assert order["status"] == "cancelled" and order["payment"]["refunded_cents"] == 1500
    assert (order["history"][-1]["status"], order["history"][-1]["applied"]) == ("rejected", False)
    assert order["history"][-1]["detail"]["reported_after"] == "cancelled"
    assert order["needs_attention"] is False  # a rejection agrees with the cancellation


def test_a_rejected_order_the_warehouse_then_ships_stays_rejected_for_staff_to_sort_out(rpc, amqp_uri):
    achieve(amqp_uri, rpc, "CSCO30000010")
    order_id = place(rpc, "CSCO30000010")["order_id"]
    _answer(amqp_uri, "order_rejected", order_id=order_id, reason="undeliverable address")
    wait_for(lambda: rpc.get_order(candidate_id="CSCO30000010", order_id=order_id)["status"] == "rejected")
    _answer(amqp_uri, "order_shipped", order_id=order_id, shipped_at="2026-12-03T09:00:00Z",
            carrier="UPS", tracking_number="1Z999AA10123456788")
    wait_for(lambda: _history_length(rpc, "CSCO30000010", order_id, 3), message="the late shipment recorded")

    order = rpc.get_order(candidate_id="CSCO30000010", order_id=order_id)
    assert order["status"] == "rejected" and order["needs_attention"] is True
    assert order["history"][-1]["detail"]["reported_after"] == "rejected"
    assert order_id in [o["order_id"] for o in rpc.staff_search_orders(refund_due=True)["items"]]
    # The kit the rejection freed is claimed by exactly one order.
    place(rpc, "CSCO30000010")
    assert rpc.fulfillment_overview("CSCO30000010")["entitlements"][0]["claimable"] is False


def test_staff_answer_a_late_shipment_by_confirming_or_correcting_the_status(rpc, amqp_uri):
    achieve(amqp_uri, rpc, "CSCO30000009")
    order_id = place(rpc, "CSCO30000009")["order_id"]
    rpc.cancel_order(candidate_id="CSCO30000009", order_id=order_id)
    _answer(amqp_uri, "order_shipped", order_id=order_id, shipped_at="2026-12-03T09:00:00Z",
            carrier="UPS", tracking_number="1Z999AA10123456787")
    wait_for(lambda: _history_length(rpc, "CSCO30000009", order_id, 3), message="the late shipment recorded")

    confirmed = rpc.staff_correct_status(order_id=order_id, status="cancelled",
                                         reason="the warehouse says the parcel never left",
                                         staff_member="ops@certtrack.example")
    assert confirmed["status"] == "cancelled" and confirmed["needs_attention"] is False
    assert confirmed["history"][-1]["detail"]["previous"] == "cancelled"
    assert rpc.staff_search_orders(needs_attention=True)["items"] == []
    # Once answered, a second confirmation is a correction to the same status again: refused.
    with pytest.raises(RemoteError) as again:
        rpc.staff_correct_status(order_id=order_id, status="cancelled", reason="checking",
                                 staff_member="ops@certtrack.example")
    assert again.value.exc_type == "InvalidStatusCorrection"
    # Staff can still record that it did ship: the order claims its kit back.
    shipped = rpc.staff_correct_status(order_id=order_id, status="shipped", reason="the candidate received it",
                                       staff_member="ops@certtrack.example")
    assert shipped["status"] == "shipped"
    assert rpc.fulfillment_overview("CSCO30000009")["entitlements"][0]["order_id"] == order_id


def test_a_rejected_order_frees_the_kit_and_tells_the_candidate(rpc, amqp_uri, smtp_server):
    register(amqp_uri, "CSCO30000004", email="reject.four@example.com")
    achieve(amqp_uri, rpc, "CSCO30000004")
    order_id = place(rpc, "CSCO30000004")["order_id"]
    _answer(amqp_uri, "order_rejected", order_id=order_id, reason="undeliverable address")
    wait_for(lambda: rpc.get_order(candidate_id="CSCO30000004", order_id=order_id)["status"] == "rejected")

    assert rpc.fulfillment_overview("CSCO30000004")["entitlements"][0]["claimable"] is True
    [mail] = wait_for(lambda: [m for m in smtp_server.messages() if "reject.four@example.com" in str(m["To"])
                               and "could not ship" in m["Subject"]], message="the rejection mail")
    assert "undeliverable address" in mail.get_body(("plain",)).get_content()


def test_an_answer_about_an_unknown_order_is_dead_lettered(rpc, amqp_uri):
    _answer(amqp_uri, "order_delivered", order_id="ORD-2026-999999", delivered_at="2026-12-05T15:00:00Z")
    letters = wait_for(lambda: rpc.list_dead_letters(), timeout=30, message="a dead letter")
    assert "ORD-2026-999999" in str(letters)


def test_the_simulator_does_not_ship_an_order_cancelled_before_shipping(rpc, amqp_uri):
    achieve(amqp_uri, rpc, "CSCO30000005")
    kept = place(rpc, "CSCO30000005", items=PURCHASE, shipping="tracked")["order_id"]
    cancelled = place(rpc, "CSCO30000005", items=PURCHASE, shipping="tracked")["order_id"]
    rpc.cancel_order(candidate_id="CSCO30000005", order_id=cancelled)
    simulator = subprocess.Popen(
        [sys.executable, str(ROOT / "deploy" / "warehouse_simulator.py"), "--amqp-uri", amqp_uri,
         "--ship-after", "1", "--deliver-after", "0.2", "--reject-fraction", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: rpc.get_order(candidate_id="CSCO30000005", order_id=kept)["status"] == "delivered",
                 timeout=30, message="the kept order delivered")
    finally:
        simulator.terminate()
        simulator.wait(10)
    shipped = rpc.get_order(candidate_id="CSCO30000005", order_id=kept)
    assert shipped["shipping"]["carrier"] == "UPS" and shipped["shipping"]["tracking_number"].startswith("1Z")
    after = rpc.get_order(candidate_id="CSCO30000005", order_id=cancelled)
    assert after["status"] == "cancelled" and [h["status"] for h in after["history"]] == ["placed", "cancelled"]


def _simulator(amqp_uri, ship_after, reject_fraction=0):
    return subprocess.Popen(
        [sys.executable, str(ROOT / "deploy" / "warehouse_simulator.py"), "--amqp-uri", amqp_uri,
         "--ship-after", str(ship_after), "--deliver-after", "0.2", "--reject-fraction", str(reject_fraction)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_simulator_stopped_after_a_cancellation_still_does_not_ship_the_order(rpc, amqp_uri, fulfillment_config):
    achieve(amqp_uri, rpc, "CSCO30000006")
    cancelled = place(rpc, "CSCO30000006", items=PURCHASE, shipping="standard")["order_id"]
    rpc.cancel_order(candidate_id="CSCO30000006", order_id=cancelled)
    kept = place(rpc, "CSCO30000006", items=PURCHASE, shipping="standard")["order_id"]

    first = _simulator(amqp_uri, ship_after=60)  # holds all three messages, answers none yet
    try:
        def holding_all():
            queue = _queue_depth_detail(fulfillment_config, "warehouse.orders")
            # Everything delivered to it; the two orders at least still unacked (and, since it ships
            # neither before 60 s, the cancellation too: acked only with its order).
            return queue.get("messages_ready") == 0 and queue.get("messages_unacknowledged", 0) >= 2
        wait_for(holding_all, timeout=30, interval=1, message="the simulator to receive order, cancellation, order")
    finally:
        first.terminate()
        first.wait(10)
    # Both messages of the cancelled order come back to the next simulator.
    second = _simulator(amqp_uri, ship_after=0.3)
    try:
        wait_for(lambda: rpc.get_order(candidate_id="CSCO30000006", order_id=kept)["status"] == "delivered",
                 timeout=30, message="the kept order delivered")
    finally:
        second.terminate()
        second.wait(10)
    after = rpc.get_order(candidate_id="CSCO30000006", order_id=cancelled)
    assert after["status"] == "cancelled" and [h["status"] for h in after["history"]] == ["placed", "cancelled"]


def _queue_depth_detail(fulfillment_config, queue):
    vhost = Vhost(fulfillment_config["AMQP_URI"].rsplit("/", 1)[1].replace("%2F", "/"))
    return vhost.queue(queue)


def test_an_order_the_simulator_rejects_is_rejected_with_its_reason_and_frees_the_kit(rpc, amqp_uri):
    achieve(amqp_uri, rpc, "CSCO30000011")
    order_id = place(rpc, "CSCO30000011")["order_id"]
    simulator = _simulator(amqp_uri, ship_after=0.2, reject_fraction=1)  # every order rejected
    try:
        wait_for(lambda: rpc.get_order(candidate_id="CSCO30000011", order_id=order_id)["status"] == "rejected",
                 timeout=30, message="the order rejected")
    finally:
        simulator.terminate()
        simulator.wait(10)
    order = rpc.get_order(candidate_id="CSCO30000011", order_id=order_id)
    assert [(h["status"], h["source"]) for h in order["history"]] == [
        ("placed", "candidate"), ("rejected", "warehouse")]
    assert order["history"][1]["detail"]["reason"]
    assert rpc.fulfillment_overview("CSCO30000011")["entitlements"][0]["claimable"] is True
