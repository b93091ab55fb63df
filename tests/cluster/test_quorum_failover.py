"""The node leading exams' results queue stops while a vendor streams 5,000
results into a three-node cluster: the queue's other members carry on, exams
and the vendor reconnect to another node of their address lists, and every
result is applied once and announced once (decision 0031)."""
from __future__ import annotations

import collections
import json
import time

import pytest
from kombu import Connection, Consumer, Queue
from sqlalchemy import create_engine, text

from certtrack_shared.broker_identities import DEV_VENDOR
from certtrack_shared.vendor_publisher import VendorPublisher
from tests.cluster.conftest import RESULTS_QUEUE
from tests.faults.traffic import ExamsLedger, Stream, exactly_once, new_prefix
from tests.harness.vendor import result

MESSAGES = 5000
RATE = 1000  # per second at most: faster than exams applies them here, so a backlog waits
PUBLISHERS = 8
ANNOUNCED = ("exam_passed", "exam_failed")


class AsVendor:
    """certtrack_shared's VendorPublisher (pika, confirms, failover list) as a Stream's publisher."""

    def __init__(self, amqp_uri: str):
        self.vendor = VendorPublisher(amqp_uri)

    def publish(self, body: dict, message_id: str) -> None:
        self.vendor.publish("exam_result", body, message_id)

    @property
    def resends(self) -> int:
        return self.vendor.resends

    def close(self) -> None:
        self.vendor.close()


def link_candidates(url: str, prefix: str, count: int) -> None:
    """As if identity had already linked each registration to its candidate:
    exams then announces every result (exam_passed / exam_failed) at once."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO registrations (vendor, registration_number, program, reported_candidate,"
            " candidate_id, updated_at)"
            " SELECT 'pearson_vue', :prefix || '-' || i, 'cisco', '{}', 'CSCO' || lpad(i::text, 8, '0'),"
            " now() FROM generate_series(0, :last) AS i"), {"prefix": prefix, "last": count - 1})
    engine.dispose()


def announcements_queue(amqp_uri: str) -> str:
    """A quorum queue of the test's own, bound to exams' announcements: it too
    outlives the node that is stopped."""
    name = f"cluster-announced-{time.monotonic_ns()}"
    with Connection(amqp_uri) as connection:
        channel = connection.default_channel
        channel.queue_declare(name, durable=True, auto_delete=False,
                              arguments={"x-queue-type": "quorum"})
        for key in ANNOUNCED:
            channel.queue_bind(name, "exams.events", key)
    return name


def announced(amqp_uri: str, queue: str, expected: int, quiet: float = 3.0) -> list[dict]:
    """Every announcement on the queue, once `expected` arrived and then none for `quiet` s."""
    found = []
    with Connection(amqp_uri) as connection:
        def keep(body, message):
            payload = body if isinstance(body, dict) else json.loads(body)
            found.append({"event_id": message.properties.get("message_id"),
                          "type": message.delivery_info["routing_key"],
                          "registration": payload["registration_number"]})
            message.ack()

        with Consumer(connection, [Queue(queue, no_declare=True)], callbacks=[keep],
                      accept=["json"], prefetch_count=500):
            last, deadline = time.monotonic(), time.monotonic() + 120
            while time.monotonic() < deadline and (len(found) < expected
                                                   or time.monotonic() - last < quiet):
                before = len(found)
                try:
                    connection.drain_events(timeout=0.5)
                except TimeoutError:
                    pass
                if len(found) > before:
                    last = time.monotonic()
    return found


@pytest.mark.slow
@pytest.mark.container
def test_leader_node_stopped_mid_stream_loses_no_result_and_applies_none_twice(
        cluster, exams_on_cluster, figures):
    exams, leader = exams_on_cluster
    survivors = [node for node in cluster.nodes if node is not leader]
    admin = cluster.failover_uri(first=survivors[0])
    ledger = ExamsLedger(exams.env["EXAMS_DATABASE_URL"])
    prefix = new_prefix("cluster")
    bodies = [result(f"{prefix}-{i}", score=842 if i % 3 else 700) for i in range(MESSAGES)]
    link_candidates(exams.env["EXAMS_DATABASE_URL"], prefix, MESSAGES)
    capture = announcements_queue(admin)
    wait_consuming(exams, admin)

    # The vendor's first address is the leader's node too. Each publish waits
    # for its confirm, which a quorum queue gives once a majority has written
    # it to disk: the vendor publishes on several connections at once.
    vendor_uri = cluster.failover_uri(DEV_VENDOR.name, DEV_VENDOR.password, first=leader)
    streams = [Stream("", bodies[i::PUBLISHERS], RATE / PUBLISHERS, publisher=AsVendor(vendor_uri))
               for i in range(PUBLISHERS)]
    started = time.monotonic()
    for stream in streams:
        stream.start()
    wait(lambda: ledger.sittings(prefix) >= MESSAGES // 4, 120, "exams applying results", exams)
    before_stop = ledger.sittings(prefix)
    stopped_at = time.monotonic()
    leader.stop()
    after_stop = ledger.sittings(prefix)
    # Back: a whole batch more than what was in flight when the node went.
    wait(lambda: ledger.sittings(prefix) >= after_stop + 40, 120, "exams applying again", exams)
    failover = time.monotonic() - stopped_at

    for stream in streams:
        stream.finish(timeout=300)
    published_in = max(stream.seconds for stream in streams)
    wait(lambda: ledger.sittings(prefix) >= MESSAGES, 300, f"all {MESSAGES} results applied", exams)
    applied_in = time.monotonic() - started
    time.sleep(2)  # a second application still in flight would land now
    applied = ledger.applied(prefix)
    events = announced(admin, capture, MESSAGES)
    new_leader = cluster.leaders(RESULTS_QUEUE)[RESULTS_QUEUE]
    ledger.dispose()

    twice_by_event = sum(n - 1 for n in collections.Counter(e["event_id"] for e in events).values())
    registrations = collections.Counter(e["registration"] for e in events)
    figures(f"{MESSAGES} results at up to {RATE}/s; leader {leader.nodename} stopped after "
            f"{before_stop} applied; exams applying again {failover:.1f}s later on a queue led by "
            f"{new_leader}; {MESSAGES / applied_in:.0f} results/s applied overall "
            f"({applied_in:.1f}s; published in {published_in:.1f}s by {PUBLISHERS} connections, "
            f"{sum(stream.publisher.resends for stream in streams)} resent after the stop); "
            f"sittings {applied['sittings']}, lost {MESSAGES - applied['events']}, "
            f"applied twice {applied['changes'] - applied['events']}, announcements "
            f"{len(events)} ({twice_by_event} event_id twice)")
    assert exams.alive, exams.log_excerpt()
    assert new_leader != leader.nodename
    assert exactly_once(applied, MESSAGES), applied
    assert twice_by_event == 0
    assert set(registrations) == {body["registration_number"] for body in bodies}
    assert set(registrations.values()) == {1}
    assert collections.Counter(e["type"] for e in events) == {
        "exam_passed": sum(1 for b in bodies if b["result"] == "pass"),
        "exam_failed": sum(1 for b in bodies if b["result"] == "fail")}


def wait_consuming(exams, amqp_uri: str, timeout: float = 90) -> None:
    def consuming():
        with Connection(amqp_uri, connect_timeout=3) as connection:
            return connection.default_channel.queue_declare(
                RESULTS_QUEUE, passive=True).consumer_count
    wait(consuming, timeout, "exams consuming its results queue", exams)


def wait(predicate, timeout: float, what: str, exams) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if not exams.alive:
            raise AssertionError(f"exams died while waiting for {what}\n{exams.log_excerpt()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{exams.log_excerpt()}")
        time.sleep(0.1)
