"""The series every service process exports, and the calls that move them.

One registry per process (`REGISTRY`, with the process's own CPU, memory
and garbage-collector series): a service runs as one `nameko run` process,
and Prometheus tells replicas apart by the address it scraped. It is this
package's own rather than prometheus_client's global one, so that importing
the package again (a fresh import in a test) makes a new registry instead of
failing on names already taken. Labels are only names the code defines (service, queue,
entrypoint, outcome), never anything a message or a caller sends, so no
input can make a new series.

A worker's start time is kept here, keyed by its context, rather than in
`worker_ctx.data`, which Nameko would send along with every call and event
the worker makes.
"""
from __future__ import annotations

import time
import weakref

from nameko.rpc import Rpc
from prometheus_client import (GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR,
                               CollectorRegistry, Counter, Histogram)

REGISTRY = CollectorRegistry()
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(_collector)

# certtrack_messages_<outcome>_total{service, queue}: what became of each
# message an @event_consumer took off its queue.
_MESSAGE_OUTCOMES = {
    "consumed": "Messages applied (or found already applied) and acked",
    "failed": "Attempts whose handler raised an error other than a rejection (a passing "
              "failure or a bug)",
    "retried": "Messages sent to wait in a delay queue for another attempt",
    "dead_lettered": "Messages sent to <queue>.dlq (invalid, rejected by the handler, "
                     "or out of attempts)",
}
_BY_OUTCOME = {
    outcome: Counter(f"certtrack_messages_{outcome}", f"{text}, by consuming queue.",
                     ["service", "queue"], registry=REGISTRY)
    for outcome, text in _MESSAGE_OUTCOMES.items()
}

HANDLER_DURATION = Histogram(
    "certtrack_handler_duration_seconds",
    "Time a worker took, from its start to its result, by entrypoint (RPC method, "
    "event handler, timer).",
    ["service", "entrypoint", "outcome"], registry=REGISTRY)
RPC_DURATION = Histogram(
    "certtrack_rpc_duration_seconds",
    "Time from an RPC worker's start until its reply was sent (after its transaction "
    "committed); outcome is ok, refused (one of the method's expected exceptions) or error.",
    ["service", "method", "outcome"], registry=REGISTRY)

_started: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def worker_started(worker_ctx) -> None:
    # setdefault: a service with two Database providers calls this twice per worker.
    _started.setdefault(worker_ctx, time.perf_counter())


def worker_finished(worker_ctx, exc_info) -> None:
    """Nameko calls this after the entrypoint answered: an RPC's reply is sent."""
    started = _started.pop(worker_ctx, None)
    if started is None:
        return
    elapsed = time.perf_counter() - started
    service, entrypoint = worker_ctx.container.service_name, worker_ctx.entrypoint
    HANDLER_DURATION.labels(service, entrypoint.method_name,
                            "ok" if exc_info is None else "error").observe(elapsed)
    if isinstance(entrypoint, Rpc):
        RPC_DURATION.labels(service, entrypoint.method_name,
                            _rpc_outcome(exc_info, entrypoint.expected_exceptions)).observe(elapsed)


def _rpc_outcome(exc_info, expected_exceptions) -> str:
    if exc_info is None:
        return "ok"
    if expected_exceptions and isinstance(exc_info[1], expected_exceptions):
        return "refused"
    return "error"


def message_settled(consumer, outcome: str) -> None:
    """`consumer` is an EventConsumer; `outcome` a key of _MESSAGE_OUTCOMES."""
    _BY_OUTCOME[outcome].labels(consumer.container.service_name, consumer.queue_name).inc()

