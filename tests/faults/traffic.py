"""What flows through the services under fault, and what it left in the exams database.

- `VendorPublisher`: a testing vendor's connection (CONTRACTS.md §2): persistent
  messages with publisher confirms, `message_id` = `event_id`. When the broker
  goes away mid-publish it reconnects and publishes the message again, as a
  vendor resends what was not confirmed; the consumers' idempotency makes
  the resend harmless.
- `Stream`: a background thread publishing vendor results at a steady rate,
  so a fault can strike while messages are flowing.
- `ExamsLedger`: how many results were applied, how many times, and what was
  dead-lettered, read from the exams database.
"""
from __future__ import annotations

import json
import threading
import time
import uuid

from kombu import Connection, Exchange
from sqlalchemy import bindparam, create_engine, text

from certtrack_shared.broker_identities import DEV_VENDOR
from certtrack_shared.topology import consumer_queue
from tests.harness.messages import as_user
from tests.harness.vendor import result

VENDOR_EXCHANGE = Exchange("vendor.events", type="topic", durable=True)
RESULT_QUEUE = consumer_queue("vendor.events", "exam_result", "exams", "handle_exam_result")


class VendorPublisher:
    """Publishes as the development vendor (vendor-dev, with its user_id), as a
    testing vendor does (CONTRACTS.md §7)."""

    def __init__(self, amqp_uri: str, reconnect_for: float = 90.0):
        self.amqp_uri = as_user(amqp_uri, DEV_VENDOR)
        self.reconnect_for = reconnect_for
        self.connection: Connection | None = None
        self.producer = None
        self.resends = 0

    def publish(self, body: dict | bytes, message_id: str, routing_key: str = "exam_result",
                content_type: str = "application/json") -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        deadline = time.monotonic() + self.reconnect_for
        while True:
            try:
                if self.producer is None:
                    self.connection = Connection(self.amqp_uri, connect_timeout=5,
                                                 transport_options={"confirm_publish": True})
                    self.producer = self.connection.Producer()
                self.producer.publish(
                    raw, exchange=VENDOR_EXCHANGE, routing_key=routing_key, delivery_mode=2,
                    content_type=content_type, content_encoding="utf-8", message_id=message_id,
                    user_id=DEV_VENDOR.name, declare=[], timeout=30,
                )
                return
            except Exception:
                # Not confirmed: the broker may or may not have it. Publish it again.
                self.close()
                if time.monotonic() > deadline:
                    raise
                self.resends += 1
                time.sleep(0.5)

    def close(self) -> None:
        connection, self.connection, self.producer = self.connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:
                pass


def results(prefix: str, count: int, candidates: int = 20) -> list[dict]:
    """`count` valid results, registration numbers `<prefix>-<i>`, spread over a few candidates."""
    return [result(f"{prefix}-{i}", email=f"fault.{prefix}.{i % candidates}@example.com")
            for i in range(count)]


def new_prefix(scenario: str) -> str:
    return f"{scenario}{uuid.uuid4().hex[:6]}"


class Stream(threading.Thread):
    """Publishes `bodies` (exam results) at `rate` per second in the background."""

    def __init__(self, amqp_uri: str, bodies: list[dict], rate: float, publisher=None):
        """`publisher` (anything with `publish(body, message_id)`, `resends`
        and `close()`), else a `VendorPublisher` of `amqp_uri`."""
        super().__init__(daemon=True)
        self.publisher = publisher or VendorPublisher(amqp_uri)
        self.bodies = bodies
        self.rate = rate
        self.published = 0
        self.error: BaseException | None = None
        self.seconds = 0.0

    def run(self) -> None:
        started = next_at = time.monotonic()
        try:
            for index, body in enumerate(self.bodies):
                time.sleep(max(0.0, next_at - time.monotonic()))
                self.publisher.publish(body, body["event_id"])
                self.published = index + 1
                # The same pace after a stall (a broker restart), not a burst to catch up.
                next_at = max(next_at, time.monotonic() - 1 / self.rate) + 1 / self.rate
        except BaseException as error:  # reported by finish()
            self.error = error
        finally:
            self.seconds = time.monotonic() - started
            self.publisher.close()

    def finish(self, timeout: float = 180.0) -> "Stream":
        self.join(timeout)
        if self.is_alive():
            raise AssertionError(f"the vendor stream is still publishing after {timeout}s "
                                 f"({self.published}/{len(self.bodies)})")
        if self.error is not None:
            raise AssertionError(f"the vendor stream failed after {self.published} messages: "
                                 f"{type(self.error).__name__}: {self.error}")
        return self


class ExamsLedger:
    def __init__(self, url: str):
        self.engine = create_engine(url, pool_pre_ping=True)

    def applied(self, prefix: str) -> dict[str, int]:
        """Sittings of the prefix, the result rows in their history (one per applied
        message: a second application is a `correction` row) and distinct event IDs."""
        with self.engine.connect() as connection:
            row = connection.execute(text(
                "SELECT count(DISTINCT s.id) AS sittings, count(c.id) AS changes,"
                "       count(DISTINCT c.event_id) AS events,"
                "       count(DISTINCT s.id) FILTER (WHERE s.candidate_id IS NOT NULL) AS linked"
                "  FROM sittings s LEFT JOIN sitting_changes c ON c.sitting_id = s.id"
                " WHERE s.registration_number LIKE :pattern"),
                {"pattern": f"{prefix}-%"}).mappings().one()
        return dict(row)

    def sittings(self, prefix: str) -> int:
        return self.applied(prefix)["sittings"]

    def sitting_exists(self, registration_number: str) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(text(
                "SELECT count(*) FROM sittings WHERE registration_number = :n"),
                {"n": registration_number}).scalar_one() > 0

    def dead_letters(self, message_ids) -> list[dict]:
        with self.engine.connect() as connection:
            return [dict(row) for row in connection.execute(text(
                "SELECT message_id, queue, reason, length(body) AS size FROM dead_letters"
                " WHERE message_id IN :ids").bindparams(bindparam("ids", expanding=True)),
                {"ids": list(message_ids)}).mappings()]

    def terminate_connections(self) -> int:
        """pg_terminate_backend of every other connection to the exams database."""
        with self.engine.connect() as connection:
            killed = connection.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
            connection.commit()
        return killed

    def dispose(self) -> None:
        self.engine.dispose()


def exactly_once(applied: dict[str, int], expected: int) -> bool:
    return applied["sittings"] == applied["changes"] == applied["events"] == expected


def wait_applied_exactly_once(stack, ledger: ExamsLedger, prefix: str, stream: Stream,
                              timeout: float = 120.0) -> str:
    """Wait until every result the stream published is applied, then check that
    none was applied twice and that identity linked each to its candidate.
    A result dead-lettered meanwhile is lost: that fails at once. Returns the
    figures: how long each took once the stream had ended."""
    stream.finish()
    started = time.monotonic()
    count = len(stream.bodies)
    ids = [body["event_id"] for body in stream.bodies]

    def all_applied():
        applied = ledger.applied(prefix)
        if applied["events"] < count:
            lost = ledger.dead_letters(ids)
            assert not lost, f"{len(lost)} valid results dead-lettered, e.g. {lost[:3]}"
        return applied["events"] >= count

    stack.wait_for(all_applied, timeout, f"all {count} results of {prefix} applied", interval=0.5)
    applied_after = time.monotonic() - started
    time.sleep(2)  # a second application still in flight would land now
    applied = ledger.applied(prefix)
    assert exactly_once(applied, count), \
        f"{count} results published, found {applied} (a duplicate adds a `correction` change)"
    stack.wait_for(lambda: ledger.applied(prefix)["linked"] == count, timeout,
                   f"identity to link the candidate of each of the {count} sittings", interval=0.5)
    return (f"{count} results at {stream.rate:.0f}/s, published in {stream.seconds:.1f}s "
            f"({stream.publisher.resends} resent); then all applied once within {applied_after:.1f}s, "
            f"linked by identity within {time.monotonic() - started:.1f}s")
