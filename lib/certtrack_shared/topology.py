"""The broker topology of CONTRACTS.md §1, declared idempotently at start-up.

Every exchange is a durable topic exchange. Every queue that consumes a
message is listed here (not only declared by its consumer), so a message
published before the consuming service ever started is queued, not dropped
as unroutable. Each consuming queue has a `<queue>.dlq` beside it.

Retries wait in shared delay queues: a message is published to the topic
exchange `certtrack.retry.<ms>ms` with the target queue's name as routing key;
its queue holds it for <ms> and dead-letters it through the default exchange,
which routes by that routing key straight back to the target queue.

A service sends a message to one queue by name (a dead letter to
`<queue>.dlq`, a replayed one back to `<queue>`) through the topic exchange
`certtrack.queues`, where every queue is bound by its own name, never
through the default exchange: a topic exchange lets the broker hold each
service to the routing keys of its own queues (topic permissions,
`broker_identities.py`), while the default exchange would let any user with
write access put a message on any queue, an RPC request on `rpc-identity`
included. Retry exchanges are topic exchanges for the same reason.

`nameko-rpc` is declared here too: services consume it with a passive
declaration, since only the gateway may configure it.

Every durable queue is a quorum queue (docs/decisions/0031-quorum-queues.md):
replicated over the cluster's nodes, so a queue and its confirmed messages
outlive the node that led it. Each carries the arguments of its kind
(`*_arguments` below), the same wherever it is declared, since RabbitMQ
refuses a declaration whose arguments differ from the queue's. A broker
that still holds classic queues of these names is upgraded by
`queue_upgrade.py` first.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from amqp.exceptions import AccessRefused, PreconditionFailed
from kombu import Connection, Exchange, Queue, binding as kombu_binding

EXTERNAL_EXCHANGES = ("vendor.events", "fulfillment.events", "warehouse.events")
RPC_EXCHANGE = "nameko-rpc"
QUEUES_EXCHANGE = "certtrack.queues"


def service_exchange(service: str) -> str:
    return f"{service}.events"


def consumer_queue(exchange: str, event_type: str, service: str, handler: str) -> str:
    """Nameko's naming: `evt-<source>-<event_type>--<service>.<handler>`."""
    source = exchange[: -len(".events")] if exchange.endswith(".events") else exchange
    return f"evt-{source}-{event_type}--{service}.{handler}"


def dead_letter_queue(queue: str) -> str:
    return f"{queue}.dlq"


def delay_exchange(delay_ms: int) -> str:
    return f"certtrack.retry.{delay_ms}ms"


def rpc_queue_name(service: str) -> str:
    """Nameko's `rpc-<service>` (nameko.rpc.RPC_QUEUE_TEMPLATE)."""
    return f"rpc-{service}"


# How often the broker hands out one message before it gives up on it: the
# backstop for a message that kills its consumer before it is settled, which
# the consumers' own retries (a new message each time) never see. Every
# return counts (a requeue, and a consumer's connection lost with the message
# unacked), so it is far above what restarts and failovers add up to.
DELIVERY_LIMIT = 20

_QUORUM = {"x-queue-type": "quorum"}
# Dead-lettering stays RabbitMQ's default, at most once: on 3.10.8 a retry
# waiting in an at-least-once queue was gone after the node crashed and came
# back, where the default delivered it (decision 0031).


def consuming_queue_arguments(queue: str) -> dict:
    """A consuming queue: past the delivery limit a message goes to its `.dlq`."""
    return {**_QUORUM, "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": QUEUES_EXCHANGE,
            "x-dead-letter-routing-key": dead_letter_queue(queue)}


def dead_letter_queue_arguments() -> dict:
    """A `.dlq`: no delivery limit. Its one consumer, the archive, takes any
    body, so nothing here is poison to it; and it hands a letter back each
    time the database refuses it, so a limit would only time how long an
    outage may last before dead letters were dropped, with nowhere further
    to send them."""
    return dict(_QUORUM)


def delay_queue_arguments(delay_ms: int) -> dict:
    """A retry queue: nobody consumes it; each message expires after
    `delay_ms` back to its target queue by the default exchange."""
    return {**_QUORUM, "x-delivery-limit": DELIVERY_LIMIT, "x-message-ttl": int(delay_ms),
            "x-dead-letter-exchange": ""}


def rpc_queue_arguments() -> dict:
    """`rpc-<service>`: past the limit a request is dropped; its caller gave
    up long before (RPC_TIMEOUT)."""
    return {**_QUORUM, "x-delivery-limit": DELIVERY_LIMIT}


class ClassicQueueFound(RuntimeError):
    """A queue of the topology exists with other arguments (a classic queue
    from before decision 0031)."""


@dataclass(frozen=True)
class Binding:
    queue: str
    exchange: str
    routing_keys: tuple[str, ...]


def _handler(exchange: str, event_type: str, service: str) -> Binding:
    return Binding(
        consumer_queue(exchange, event_type, service, f"handle_{event_type}"),
        exchange,
        (event_type,),
    )


# Every consuming queue of the system. Later issues add internal bindings here.
BINDINGS: tuple[Binding, ...] = (
    _handler("vendor.events", "exam_registration", "exams"),
    _handler("vendor.events", "exam_result", "exams"),
    _handler("vendor.events", "exam_result_revoked", "exams"),
    Binding("warehouse.orders", "fulfillment.events", ("order_placed", "order_cancelled")),
    _handler("warehouse.events", "order_shipped", "fulfillment"),
    _handler("warehouse.events", "order_delivered", "fulfillment"),
    _handler("warehouse.events", "order_rejected", "fulfillment"),
    # Internal: exams reports the candidates vendors name; identity matches them.
    _handler("exams.events", "candidate_reported", "identity"),
    _handler("exams.events", "exam_results_available", "identity"),
    _handler("identity.events", "registration_linked", "exams"),
    # certs evaluates certifications from sittings; keeps names for documents and mail.
    _handler("exams.events", "exam_passed", "certs"),
    _handler("exams.events", "exam_failed", "certs"),
    _handler("exams.events", "sitting_revoked", "certs"),
    _handler("identity.events", "candidate_registered", "certs"),
    _handler("identity.events", "candidate_profile_updated", "certs"),
    # Certs issues and revokes digital badges from its own announcements (decision 0024).
    _handler("certs.events", "certification_achieved", "certs"),
    _handler("certs.events", "certification_recertified", "certs"),
    _handler("certs.events", "certification_revoked", "certs"),
    # identity records a first CCIE/CCDE number as the candidate's attribute.
    _handler("certs.events", "expert_number_assigned", "identity"),
    # fulfillment: kit entitlements and purchasable kits follow certification status.
    _handler("certs.events", "certification_achieved", "fulfillment"),
    _handler("certs.events", "certification_recertified", "fulfillment"),
    _handler("certs.events", "certification_expired", "fulfillment"),
    _handler("certs.events", "certification_revoked", "fulfillment"),
    _handler("identity.events", "candidate_registered", "fulfillment"),
    _handler("identity.events", "candidate_profile_updated", "fulfillment"),
    # transcripts: the verification projection (status, exams, names) kept close.
    _handler("certs.events", "certification_achieved", "transcripts"),
    _handler("certs.events", "certification_recertified", "transcripts"),
    _handler("certs.events", "certification_expired", "transcripts"),
    _handler("certs.events", "certification_revoked", "transcripts"),
    _handler("exams.events", "exam_passed", "transcripts"),
    _handler("exams.events", "exam_failed", "transcripts"),
    _handler("exams.events", "sitting_revoked", "transcripts"),
    _handler("identity.events", "candidate_registered", "transcripts"),
    _handler("identity.events", "candidate_profile_updated", "transcripts"),
)

def queue_owner(queue: str) -> str:
    """The service a queue `evt-…--<service>.<handler>` belongs to; "" for
    queues of outside consumers (`warehouse.orders`)."""
    _, separator, owner = queue.partition("--")
    return owner.split(".", 1)[0] if separator else ""


def consuming_services(bindings=BINDINGS) -> tuple[str, ...]:
    """The CertTrack services that consume a queue of `bindings`, in order
    of first appearance: whose dead letters staff may look at."""
    found: list[str] = []
    for binding in bindings:
        service = queue_owner(binding.queue)
        if service and service not in found:
            found.append(service)
    return tuple(found)


SERVICE_EXCHANGES = tuple(
    service_exchange(s) for s in ("identity", "exams", "certs", "fulfillment", "transcripts")
)


EXCHANGE_NAMES = EXTERNAL_EXCHANGES + SERVICE_EXCHANGES + (RPC_EXCHANGE, QUEUES_EXCHANGE)


def topic_exchange(name: str, passive: bool = False) -> Exchange:
    return Exchange(name, type="topic", durable=True, passive=passive)


def exchanges() -> list[Exchange]:
    return [topic_exchange(name) for name in EXCHANGE_NAMES]


def addressed_queue(name: str, bindings=(), passive_exchanges: bool = False,
                    arguments: dict | None = None) -> Queue:
    """Queue `name`, bound to `certtrack.queues` by its own name and to
    `bindings` ((exchange, routing_key) pairs)."""
    return Queue(
        name,
        durable=True,
        queue_arguments=arguments,
        bindings=[kombu_binding(topic_exchange(exchange, passive_exchanges), routing_key=key)
                  for exchange, key in ((QUEUES_EXCHANGE, name), *bindings)],
    )


def consuming_queues(queue: str, source_exchange: str, routing_keys,
                     passive_exchanges: bool = False) -> list[Queue]:
    """A consumer's queue and its `<queue>.dlq`."""
    return [
        addressed_queue(queue, [(source_exchange, key) for key in routing_keys], passive_exchanges,
                        consuming_queue_arguments(queue)),
        dead_letters_of(queue, passive_exchanges),
    ]


def dead_letters_of(queue: str, passive_exchanges: bool = False) -> Queue:
    """`<queue>.dlq`, as its consumer and its archive both declare it."""
    return addressed_queue(dead_letter_queue(queue), (), passive_exchanges,
                           dead_letter_queue_arguments())


def rpc_queue(service: str, exchange: str = RPC_EXCHANGE) -> Queue:
    """`rpc-<service>`, bound to the RPC exchange (declared by the
    administrator, hence passive) for `<service>.*`."""
    return Queue(rpc_queue_name(service), exchange=topic_exchange(exchange, passive=True),
                 routing_key=f"{service}.*", durable=True, queue_arguments=rpc_queue_arguments())


def queues(bindings=BINDINGS) -> list[Queue]:
    declared = []
    for binding in bindings:
        declared.extend(consuming_queues(binding.queue, binding.exchange, binding.routing_keys))
    return declared


def delay_queue(delay_ms: int, passive_exchange: bool = False) -> tuple[Exchange, Queue]:
    exchange = topic_exchange(delay_exchange(delay_ms), passive_exchange)
    queue = Queue(
        delay_exchange(delay_ms),
        exchange=exchange,
        routing_key="#",
        durable=True,
        queue_arguments=delay_queue_arguments(delay_ms),
    )
    return exchange, queue


def declare(connection: Connection, retry_delays_ms=(), extra_bindings=()) -> None:
    """Declare everything: what the administrator's account does at start-up
    (`make run`, the test harness, the bootstrap job), since no CertTrack
    user may configure what it does not own."""
    channel = connection.default_channel
    for exchange in exchanges():
        exchange(channel).declare()
    for queue in queues(BINDINGS + tuple(extra_bindings)):
        try:
            queue(channel).declare()
        except PreconditionFailed as error:
            raise ClassicQueueFound(
                f"{error}: the broker holds {queue.name!r} as it was declared before quorum "
                "queues; upgrade it, messages and all, with `python -m "
                "certtrack_shared.queue_upgrade` (or `broker_identities apply`) as the "
                "administrator") from error
    for delay_ms in retry_delays_ms:
        exchange, queue = delay_queue(delay_ms)
        exchange(channel).declare()
        queue(channel).declare()


def declare_if_permitted(connection: Connection, retry_delays_ms=()) -> bool:
    """`declare`, or False when this user may not (a service's own broker
    user: the administrator declared the topology before it started)."""
    try:
        declare(connection, retry_delays_ms)
    except AccessRefused:
        return False
    return True


def ensure_exchanges(connection: Connection, names) -> None:
    """Declare each exchange, or where this user may not configure it, make
    sure it exists (a passive declaration raises NotFound otherwise)."""
    for name in names:
        _declare_or_check(connection, topic_exchange(name), topic_exchange(name, passive=True))


def ensure_delay_queues(connection: Connection, delays_ms) -> None:
    """The retry exchanges and queues, declared or (for a service's own user)
    checked: they are shared, so only the administrator configures them."""
    for delay_ms in delays_ms:
        exchange, queue = delay_queue(delay_ms)
        _declare_or_check(connection, exchange, delay_queue(delay_ms, passive_exchange=True)[0])
        _declare_or_check(connection, queue, None, passive_queue=True)


def _declare_or_check(connection: Connection, entity, passive_entity, passive_queue=False):
    channel = connection.channel()
    try:
        entity(channel).declare()
        return
    except AccessRefused:
        pass  # the refusal closed the channel
    finally:
        _close_quietly(channel)
    channel = connection.channel()
    try:
        if passive_queue:
            entity(channel).queue_declare(passive=True)
        else:
            passive_entity(channel).declare()
    finally:
        _close_quietly(channel)


def _close_quietly(channel) -> None:
    try:
        channel.close()
    except Exception:  # noqa: BLE001 - a channel the broker closed is closed
        pass


def _exchange_definition(name: str, vhost: str) -> dict:
    return {"name": name, "vhost": vhost, "type": "topic", "durable": True,
            "auto_delete": False, "internal": False, "arguments": {}}


def _binding_definition(source: str, destination: str, key: str, vhost: str) -> dict:
    return {"source": source, "vhost": vhost, "destination": destination,
            "destination_type": "queue", "routing_key": key, "arguments": {}}


def definitions(vhost: str = "/", retry_delays_ms=()) -> dict:
    """The same topology as a RabbitMQ definitions document for operators."""
    exchange_defs = [_exchange_definition(name, vhost) for name in EXCHANGE_NAMES]
    queue_defs, binding_defs = [], []
    for binding in BINDINGS:
        for name, arguments in ((binding.queue, consuming_queue_arguments(binding.queue)),
                                (dead_letter_queue(binding.queue), dead_letter_queue_arguments())):
            queue_defs.append({"name": name, "vhost": vhost, "durable": True,
                               "auto_delete": False, "arguments": arguments})
            binding_defs.append(_binding_definition(QUEUES_EXCHANGE, name, name, vhost))
        for key in binding.routing_keys:
            binding_defs.append(_binding_definition(binding.exchange, binding.queue, key, vhost))
    for delay_ms in retry_delays_ms:
        name = delay_exchange(delay_ms)
        exchange_defs.append(_exchange_definition(name, vhost))
        queue_defs.append({"name": name, "vhost": vhost, "durable": True, "auto_delete": False,
                           "arguments": delay_queue_arguments(delay_ms)})
        binding_defs.append(_binding_definition(name, name, "#", vhost))
    return {"vhosts": [{"name": vhost}], "exchanges": exchange_defs,
            "queues": queue_defs, "bindings": binding_defs}


def main(argv=None) -> int:
    """`python -m certtrack_shared.topology declare|definitions`."""
    import argparse

    from certtrack_shared import config, retries

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("command", choices=["declare", "definitions"])
    args = parser.parse_args(argv)
    if args.command == "declare":
        with Connection(config.amqp_uri()) as connection:
            declare(connection, retries.retry_delays_ms())
        print("topology declared")
    else:
        print(json.dumps(definitions(retry_delays_ms=retries.retry_delays_ms()), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
