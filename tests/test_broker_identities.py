"""Each party's broker user can do what its role needs and nothing else,
on the real broker (CONTRACTS.md §7, certtrack_shared/broker_identities.py).

Every attack here worked when every process connected as `guest`: a vendor
or any service could call a staff RPC, read any queue, or put a message on
any queue through the default exchange.
"""
from __future__ import annotations

import json
import secrets
import uuid

import pytest
from amqp.exceptions import AccessRefused, NotFound, PreconditionFailed
from kombu import Connection, Exchange, Queue

from certtrack_shared import broker_identities
from certtrack_shared.broker_identities import DEV_VENDOR, DEV_WAREHOUSE
from certtrack_shared.consumer import DEFAULT_RETRY_DELAYS_MS
from tests.harness.broker import Vhost

REFUSED = (AccessRefused, NotFound, PreconditionFailed)
RESULT_QUEUE = "evt-vendor-exam_result--exams.handle_exam_result"


@pytest.fixture(scope="module")
def broker():
    """A vhost with the topology and the system's users, under a prefix of
    this test's own: a stack running beside it keeps its users' passwords."""
    vhost = Vhost().create()
    prefix = f"t{uuid.uuid4().hex[:6]}-"
    passwords = {party: secrets.token_urlsafe(16) for party in broker_identities.PARTIES}
    admin = vhost.administrator()
    broker_identities.apply(admin, passwords, development=True,
                            retry_delays_ms=DEFAULT_RETRY_DELAYS_MS, prefix=prefix)
    users = {party: admin.uri_for(broker_identities.user_name(party, prefix), password)
             for party, password in passwords.items()}
    users["vendor"] = admin.uri_for(DEV_VENDOR.name, DEV_VENDOR.password)
    users["warehouse"] = admin.uri_for(DEV_WAREHOUSE.name, DEV_WAREHOUSE.password)
    users["prefix"] = prefix
    yield users
    api = admin.api()
    for party in broker_identities.PARTIES:
        api.session.delete(api._path("users", broker_identities.user_name(party, prefix)), timeout=10)
    vhost.delete()


def publish(uri: str, exchange: str, routing_key: str, **properties) -> None:
    """Publish one confirmed message; raises what the broker answered."""
    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        producer.publish(json.dumps({"event_id": str(uuid.uuid4())}).encode(),
                         exchange=Exchange(exchange, type="topic") if exchange else "",
                         routing_key=routing_key, content_type="application/json",
                         declare=[], retry=False, **properties)


def read(uri: str, queue: str) -> None:
    with Connection(uri) as connection:
        Queue(queue, no_declare=True)(connection.default_channel).get()


def rpc_request(uri: str, service: str, method: str) -> None:
    publish(uri, "nameko-rpc", f"{service}.{method}", reply_to=str(uuid.uuid4()),
            correlation_id=str(uuid.uuid4()))


# -- a testing vendor -------------------------------------------------------------


def test_a_vendor_publishes_to_vendor_events_under_its_own_name(broker):
    publish(broker["vendor"], "vendor.events", "exam_result", user_id=DEV_VENDOR.name)


def test_a_vendor_cannot_claim_another_users_name(broker):
    with pytest.raises(REFUSED):
        publish(broker["vendor"], "vendor.events", "exam_result", user_id="certtrack-gateway")


@pytest.mark.parametrize("exchange,key", [
    ("exams.events", "exam_passed"),            # forge a pass
    ("identity.events", "candidate_registered"),
    ("nameko-rpc", "identity.staff_create"),     # call a staff RPC
    ("certtrack.queues", RESULT_QUEUE),          # skip the vendor.events binding
    ("", "rpc-identity"),                        # the default exchange, straight to a queue
    ("warehouse.events", "order_shipped"),
])
def test_a_vendor_cannot_publish_anywhere_else(broker, exchange, key):
    with pytest.raises(REFUSED):
        publish(broker["vendor"], exchange, key, user_id=DEV_VENDOR.name)


@pytest.mark.parametrize("queue", [RESULT_QUEUE, "warehouse.orders", f"{RESULT_QUEUE}.dlq"])
def test_a_vendor_reads_no_queue(broker, queue):
    with pytest.raises(REFUSED):
        read(broker["vendor"], queue)


def test_a_vendor_cannot_declare_a_queue_to_listen_on_vendor_events(broker):
    with Connection(broker["vendor"]) as connection:
        spy = Queue(f"spy-{uuid.uuid4().hex[:6]}", Exchange("vendor.events", type="topic",
                                                             passive=True), routing_key="#")
        with pytest.raises(REFUSED):
            spy(connection.default_channel).declare()


# -- a service --------------------------------------------------------------------


@pytest.mark.parametrize("service,method", [
    ("identity", "staff_create"),   # even its own service's RPCs, but for health()
    ("exams", "create_vendor_key"),
    ("certs", "health"),
])
def test_a_service_cannot_call_rpcs(broker, service, method):
    with pytest.raises(REFUSED):
        rpc_request(broker["identity"], service, method)


def test_a_service_may_call_its_own_health_for_its_container_check(broker):
    rpc_request(broker["identity"], "identity", "health")


@pytest.mark.parametrize("exchange,key", [
    ("", "rpc-exams"),                                              # default exchange
    ("certtrack.queues", "rpc-exams"),
    ("certtrack.queues", RESULT_QUEUE),                             # another service's queue
    ("certtrack.retry.1000ms", "rpc-exams"),                        # via a retry's dead-lettering
    ("certtrack.retry.1000ms", RESULT_QUEUE),
    ("vendor.events", "exam_result"),                               # pose as a vendor
    ("exams.events", "exam_passed"),                                # another service's events
])
def test_a_service_cannot_put_messages_on_other_queues(broker, exchange, key):
    with pytest.raises(REFUSED):
        publish(broker["identity"], exchange, key)


def test_a_service_addresses_its_own_queues(broker):
    own = "evt-exams-candidate_reported--identity.handle_candidate_reported"
    publish(broker["identity"], "certtrack.queues", f"{own}.dlq")
    publish(broker["identity"], "certtrack.retry.1000ms", own)
    publish(broker["identity"], "identity.events", "candidate_registered")
    read(broker["identity"], own)


def test_a_service_cannot_read_or_tap_another_services_queue(broker):
    with pytest.raises(REFUSED):
        read(broker["identity"], RESULT_QUEUE)
    with pytest.raises(REFUSED):
        read(broker["identity"], "rpc-exams")
    with Connection(broker["identity"]) as connection:
        # Its own queue, bound to exams' requests: would receive exams' RPCs.
        tap = Queue("rpc-identity", Exchange("nameko-rpc", type="topic", passive=True),
                    routing_key="exams.*", durable=True)
        with pytest.raises(REFUSED):
            tap(connection.default_channel).declare()


def test_a_service_cannot_delete_shared_exchanges(broker):
    with Connection(broker["identity"]) as connection:
        with pytest.raises(REFUSED):
            connection.default_channel.exchange_delete("nameko-rpc")


# -- the gateway and the warehouse ------------------------------------------------


def test_the_gateway_calls_rpcs_and_posts_vendor_messages(broker):
    rpc_request(broker["gateway"], "identity", "staff_create")
    publish(broker["gateway"], "vendor.events", "exam_result",
            user_id=broker_identities.user_name("gateway", broker["prefix"]))


@pytest.mark.parametrize("exchange,key", [
    ("identity.events", "candidate_registered"), ("certtrack.queues", "rpc-identity"),
    ("", "rpc-identity"), ("nameko-rpc", "identity"),
])
def test_the_gateway_cannot_publish_elsewhere(broker, exchange, key):
    with pytest.raises(REFUSED):
        publish(broker["gateway"], exchange, key)


def test_the_gateway_reads_no_service_queue(broker):
    with pytest.raises(REFUSED):
        read(broker["gateway"], "rpc-identity")


def test_the_warehouse_reads_its_orders_and_reports_shipments_only(broker):
    read(broker["warehouse"], "warehouse.orders")
    publish(broker["warehouse"], "warehouse.events", "order_shipped")
    for exchange, key in (("fulfillment.events", "order_placed"), ("vendor.events", "exam_result"),
                          ("nameko-rpc", "fulfillment.place_order")):
        with pytest.raises(REFUSED):
            publish(broker["warehouse"], exchange, key)
    with pytest.raises(REFUSED):
        read(broker["warehouse"], "evt-warehouse-order_shipped--fulfillment.handle_order_shipped")
