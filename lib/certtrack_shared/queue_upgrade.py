"""Upgrading a broker's classic queues to the topology's quorum queues, keeping every message.

A broker that ran CertTrack before decision 0031 holds its queues as classic
queues, often with messages; declaring one of them as a quorum queue fails
(PRECONDITION_FAILED), and a queue's type cannot change in place. So the
administrator, before declaring the topology (`broker_identities apply`,
which `make run` and the Kubernetes `broker-users` Job run), moves each one:

1. a quorum queue `<queue>.quorum-upgrade` takes the queue's bindings, so
   what is published meanwhile lands there, and the classic queue loses them;
2. a policy gives the classic queue a dead-letter route to it (through a
   fanout exchange of the upgrade's, which keeps each message's routing
   key: nameko finds an RPC's method in it, the warehouse an order's kind),
   and every message is rejected into it: the broker dead-letters each as it
   was published, `user_id`, `message_id`, headers and body unchanged (a
   client republishing them could not keep `user_id`, which exams trusts);
3. the classic queue is deleted (only when empty and unread) and declared
   again as the quorum queue, with its bindings, and the fanout exchange
   now leads to it;
4. the interim queue loses its bindings and is rejected into it the same
   way; the interim queue and the exchange are deleted.

A retry queue's messages are rejected straight to their target queues: a
retry comes early, which no consumer minds. A message published in the
instant both a queue and its interim are bound reaches both: at worst a
duplicate, which every consumer skips by `event_id`, never a loss. The
upgrade refuses a queue that has consumers (stop the old services first),
and an interrupted upgrade finishes when run again.
"""
from __future__ import annotations

import json
import logging
import re
import time
import uuid
from dataclasses import dataclass, field

from amqp import Message as AmqpMessage
from kombu import Connection, Queue

from certtrack_shared import config, topology

log = logging.getLogger(__name__)

INTERIM_SUFFIX = ".quorum-upgrade"
PROBE_HEADER = "x-certtrack-upgrade-probe"
POLICY_PRIORITY = 999  # above any operator's policy, for the minute it exists
# How long to wait for the broker to apply the dead-letter policy to a queue.
POLICY_SECONDS = 15.0


class UpgradeRefused(RuntimeError):
    """A queue cannot be upgraded now (something still reads it)."""


@dataclass
class Upgraded:
    """What one run did: queues upgraded and messages moved, by queue."""

    moved: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.moved:
            return "no classic queue to upgrade"
        return "; ".join(f"{name}: {count} message(s)" for name, count in self.moved.items())


def interim_name(queue: str) -> str:
    return f"{queue}{INTERIM_SUFFIX}"


def route_name(queue: str) -> str:
    """The fanout exchange the upgrade dead-letters `queue`'s messages through."""
    return f"certtrack.quorum-upgrade.{queue}"


def planned_queues(retry_delays_ms=(), services=config.SERVICES) -> list[Queue]:
    """Every durable queue the system declares, retry queues first: their
    messages go to consuming queues, which must still exist then."""
    delays = [topology.delay_queue(ms)[1] for ms in retry_delays_ms]
    return delays + topology.queues() + [topology.rpc_queue(s) for s in services]


def upgrade(connection: Connection, api, vhost: str, planned: list[Queue]) -> Upgraded:
    """Upgrade each classic queue of `planned` that the broker holds, and
    finish any interim queue a run before left behind."""
    existing = {q["name"]: q for q in api.queues(vhost)}
    done = Upgraded()
    for queue in planned:
        found = existing.get(queue.name)
        if found is not None and found.get("type") != "quorum":
            done.moved[queue.name] = _upgrade_one(connection, api, vhost, queue, found)
        elif interim_name(queue.name) in existing:
            done.moved[queue.name] = _finish(connection, api, vhost, queue)
    return done


def _upgrade_one(connection: Connection, api, vhost: str, queue: Queue, found: dict) -> int:
    channel = connection.channel()
    try:
        # The broker's own count: the management API's lags by seconds.
        consumers = channel.queue_declare(queue.name, passive=True).consumer_count
        if consumers:
            raise UpgradeRefused(
                f"queue {queue.name!r} is a classic queue with {consumers} consumer(s): "
                "stop the services that read it, then run the upgrade again")
        if _is_delay_queue(queue):
            # Its own dead-letter route leads each message to its target queue.
            moved = _reject_all(channel, queue.name)
            channel.queue_delete(queue.name, if_unused=True, if_empty=True)
            queue(channel).declare()
            log.info("upgraded %s: %s waiting retries sent on at once", queue.name, moved)
            return moved
        interim = interim_name(queue.name)
        route = _route(channel, queue.name)
        bindings = [b for b in api.queue_bindings(vhost, queue.name) if b["source"]]
        Queue(interim, durable=True, queue_arguments=_interim_arguments(queue.name))(channel).declare()
        channel.queue_bind(interim, route, "")
        for binding in bindings:  # what is published from now on waits in the interim
            channel.queue_bind(interim, binding["source"], binding["routing_key"],
                               arguments=binding.get("arguments") or None)
        for binding in bindings:
            channel.queue_unbind(queue.name, binding["source"], binding["routing_key"],
                                 arguments=binding.get("arguments") or None)
        moved = 0
        if channel.queue_declare(queue.name, passive=True).message_count:
            policy = f"certtrack-quorum-upgrade-{uuid.uuid4().hex[:8]}"
            api.put_policy(vhost, policy, {
                "pattern": f"^{re.escape(queue.name)}$", "apply-to": "queues",
                "priority": POLICY_PRIORITY, "definition": {"dead-letter-exchange": route}})
            try:
                moved = _dead_letter_through_policy(channel, queue.name, interim)
            finally:
                api.delete_policy(vhost, policy)
        channel.queue_delete(queue.name, if_unused=True, if_empty=True)
    finally:
        _close(channel)
    log.info("upgraded %s: %s message(s) kept", queue.name, moved)
    _finish(connection, api, vhost, queue)
    return moved


def _finish(connection: Connection, api, vhost: str, queue: Queue) -> int:
    """Declare the quorum queue with its bindings, then drain the interim into it."""
    interim = interim_name(queue.name)
    channel = connection.channel()
    try:
        queue(channel).declare()
        route = _route(channel, queue.name)
        channel.queue_bind(queue.name, route, "")
        channel.queue_unbind(interim, route, "")
        for binding in api.queue_bindings(vhost, interim):
            if binding["source"]:
                channel.queue_unbind(interim, binding["source"], binding["routing_key"],
                                     arguments=binding.get("arguments") or None)
        moved = _reject_all(channel, interim)
        # Nothing routes to it any more; quorum queues know no if-empty delete.
        if channel.queue_declare(interim, passive=True).message_count:
            raise UpgradeRefused(f"{interim!r} took messages while it was drained; run the upgrade again")
        channel.queue_delete(interim)
        channel.exchange_delete(route)
    finally:
        _close(channel)
    return moved


def _route(channel, queue: str) -> str:
    name = route_name(queue)
    channel.exchange_declare(name, "fanout", durable=True, auto_delete=False)
    return name


def _interim_arguments(queue: str) -> dict:
    """A quorum queue whose rejected messages go on (through the upgrade's
    exchange) to `queue`, never past a delivery limit: nothing consumes it
    but the upgrade."""
    return {"x-queue-type": "quorum", "x-dead-letter-exchange": route_name(queue)}


def _is_delay_queue(queue: Queue) -> bool:
    return queue.name.startswith("certtrack.retry.")


def _get(channel, queue: str):
    """The next message of `queue`, unacked, or None."""
    return Queue(queue, no_declare=True)(channel).get(no_ack=False, accept=None)


def _reject_all(channel, queue: str) -> int:
    """Reject every message of `queue` into its dead-letter route; a probe
    the upgrade left there is dropped. Returns how many were moved."""
    moved = 0
    while (message := _get(channel, queue)) is not None:
        if (message.headers or {}).get(PROBE_HEADER):
            message.ack()
            continue
        message.reject(requeue=False)
        moved += 1
    return moved


def _dead_letter_through_policy(channel, queue: str, interim: str) -> int:
    """Reject every message of the classic `queue` into `interim`, once the
    broker has applied the policy that routes them there.

    The queue takes a new policy a moment after the API stored it, and a
    message rejected before then would be dropped. So the messages are taken
    (unacked, still the broker's) until a probe published behind them comes
    out; the probe is rejected first, and only once it has arrived in the
    interim queue are the others rejected.
    """
    held = []
    deadline = time.monotonic() + POLICY_SECONDS
    while True:
        probe_id = _publish_probe(channel, queue)
        while True:
            message = _get(channel, queue)
            if message is None:
                raise UpgradeRefused(f"the probe published to {queue!r} never came out of it")
            if (message.headers or {}).get(PROBE_HEADER) == probe_id:
                message.reject(requeue=False)
                break
            if (message.headers or {}).get(PROBE_HEADER):
                message.ack()  # an earlier probe the policy missed
                continue
            held.append(message)
        if _probe_arrived(channel, interim, probe_id):
            break
        if time.monotonic() > deadline:
            for message in held:
                message.requeue()
            raise UpgradeRefused(f"the broker did not apply the upgrade policy to {queue!r} "
                                 f"within {POLICY_SECONDS:.0f}s; nothing was moved")
    for message in held:
        message.reject(requeue=False)
    return len(held) + _reject_all(channel, queue)


def _publish_probe(channel, queue: str) -> str:
    """A message only the upgrade knows, behind the queue's others (confirmed)."""
    probe_id = uuid.uuid4().hex
    channel.basic_publish_confirm(
        AmqpMessage(b"{}", application_headers={PROBE_HEADER: probe_id}),
        exchange="", routing_key=queue)
    return probe_id


def _probe_arrived(channel, interim: str, probe_id: str, wait: float = 1.0) -> bool:
    """Whether the probe reached the interim queue, which holds only what
    was just routed to it and the probes: it is left there for `_reject_all`."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        declared = channel.queue_declare(interim, passive=True)
        if declared.message_count:
            found = False
            taken = []
            while (message := _get(channel, interim)) is not None:
                taken.append(message)
                found = found or (message.headers or {}).get(PROBE_HEADER) == probe_id
            for message in taken:
                message.requeue()
            if found:
                return True
        time.sleep(0.05)
    return False


def _close(channel) -> None:
    try:
        channel.close()
    except Exception:  # noqa: BLE001 - a channel the broker closed is closed
        pass


def main(argv=None) -> int:
    """`python -m certtrack_shared.queue_upgrade`: upgrade the classic queues
    of BROKER_ADMIN_URI (else AMQP_URI), as `broker_identities apply` does."""
    from certtrack_shared import retries
    from certtrack_shared.broker_admin import Administrator

    admin = Administrator.from_environment()
    with Connection(admin.amqp_uri) as connection:
        done = upgrade(connection, admin.api(), admin.vhost,
                       planned_queues(retries.retry_delays_ms()))
    print(json.dumps(done.moved) if argv and "--json" in argv else f"queues: {done}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(__import__("sys").argv[1:]))
