"""The broker topology of CONTRACTS.md §1, declared idempotently at start-up.

Every exchange is a durable topic exchange. Every queue that consumes a
message is listed here (not only declared by its consumer), so a message
published before the consuming service ever started is queued, not dropped
as unroutable. Each consuming queue has a `<queue>.dlq` beside it.

Retries wait in shared delay queues: a message is published to the fanout
exchange `certtrack.delay.<ms>ms` with the target queue's name as routing key;
its queue holds it for <ms> and dead-letters it through the default exchange,
which routes by that routing key straight back to the target queue.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from kombu import Connection, Exchange, Queue, binding as kombu_binding

EXTERNAL_EXCHANGES = ("vendor.events", "fulfillment.events", "warehouse.events")


def service_exchange(service: str) -> str:
    return f"{service}.events"


def consumer_queue(exchange: str, event_type: str, service: str, handler: str) -> str:
    """Nameko's naming: `evt-<source>-<event_type>--<service>.<handler>`."""
    source = exchange[: -len(".events")] if exchange.endswith(".events") else exchange
    return f"evt-{source}-{event_type}--{service}.{handler}"


def dead_letter_queue(queue: str) -> str:
    return f"{queue}.dlq"


def delay_exchange(delay_ms: int) -> str:
    return f"certtrack.delay.{delay_ms}ms"


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

def consuming_services(bindings=BINDINGS) -> tuple[str, ...]:
    """The CertTrack services that consume a queue of `bindings` (named
    `evt-…--<service>.<handler>`), in order of first appearance: whose
    dead letters staff may look at. Queues of outside consumers
    (`warehouse.orders`) name none."""
    found: list[str] = []
    for binding in bindings:
        _, separator, owner = binding.queue.partition("--")
        service = owner.split(".", 1)[0] if separator else ""
        if service and service not in found:
            found.append(service)
    return tuple(found)


SERVICE_EXCHANGES = tuple(
    service_exchange(s) for s in ("identity", "exams", "certs", "fulfillment", "transcripts")
)


def exchanges() -> list[Exchange]:
    return [
        Exchange(name, type="topic", durable=True)
        for name in EXTERNAL_EXCHANGES + SERVICE_EXCHANGES
    ]


def queues(bindings=BINDINGS) -> list[Queue]:
    declared = []
    for binding in bindings:
        exchange = Exchange(binding.exchange, type="topic", durable=True)
        declared.append(
            Queue(
                binding.queue,
                durable=True,
                bindings=[kombu_binding(exchange, routing_key=key) for key in binding.routing_keys],
            )
        )
        declared.append(Queue(dead_letter_queue(binding.queue), durable=True))
    return declared


def delay_queue(delay_ms: int) -> tuple[Exchange, Queue]:
    exchange = Exchange(delay_exchange(delay_ms), type="fanout", durable=True)
    queue = Queue(
        delay_exchange(delay_ms),
        exchange=exchange,
        durable=True,
        queue_arguments={"x-message-ttl": int(delay_ms), "x-dead-letter-exchange": ""},
    )
    return exchange, queue


def declare(connection: Connection, retry_delays_ms=(), extra_bindings=()) -> None:
    """Declare everything; safe to call from every process at every start."""
    channel = connection.default_channel
    for exchange in exchanges():
        exchange(channel).declare()
    for queue in queues(BINDINGS + tuple(extra_bindings)):
        queue(channel).declare()
    for delay_ms in retry_delays_ms:
        exchange, queue = delay_queue(delay_ms)
        exchange(channel).declare()
        queue(channel).declare()


def definitions(vhost: str = "/", retry_delays_ms=()) -> dict:
    """The same topology as a RabbitMQ definitions document for operators."""
    exchange_defs = [
        {"name": e.name, "vhost": vhost, "type": "topic", "durable": True,
         "auto_delete": False, "internal": False, "arguments": {}}
        for e in exchanges()
    ]
    queue_defs, binding_defs = [], []
    for binding in BINDINGS:
        for name in (binding.queue, dead_letter_queue(binding.queue)):
            queue_defs.append({"name": name, "vhost": vhost, "durable": True,
                               "auto_delete": False, "arguments": {}})
        for key in binding.routing_keys:
            binding_defs.append({"source": binding.exchange, "vhost": vhost,
                                 "destination": binding.queue, "destination_type": "queue",
                                 "routing_key": key, "arguments": {}})
    for delay_ms in retry_delays_ms:
        name = delay_exchange(delay_ms)
        exchange_defs.append({"name": name, "vhost": vhost, "type": "fanout", "durable": True,
                              "auto_delete": False, "internal": False, "arguments": {}})
        queue_defs.append({"name": name, "vhost": vhost, "durable": True, "auto_delete": False,
                           "arguments": {"x-message-ttl": int(delay_ms),
                                         "x-dead-letter-exchange": ""}})
        binding_defs.append({"source": name, "vhost": vhost, "destination": name,
                             "destination_type": "queue", "routing_key": "", "arguments": {}})
    return {"vhosts": [{"name": vhost}], "exchanges": exchange_defs,
            "queues": queue_defs, "bindings": binding_defs}


def main(argv=None) -> int:
    """`python -m certtrack_shared.topology declare|definitions`."""
    import argparse

    from certtrack_shared import config
    from certtrack_shared.consumer import retry_delays_ms

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("command", choices=["declare", "definitions"])
    args = parser.parse_args(argv)
    if args.command == "declare":
        with Connection(config.amqp_uri()) as connection:
            declare(connection, retry_delays_ms())
        print("topology declared")
    else:
        print(json.dumps(definitions(retry_delays_ms=retry_delays_ms()), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
