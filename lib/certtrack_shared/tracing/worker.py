"""What every service worker does to be followed: bind its correlation id
for its log lines and the messages it sends, and run inside a span.

The `Database` provider, which every service has, calls these from its
worker hooks, as it calls the metrics: `worker_started` in the worker's own
greenthread before the entrypoint's method, `worker_finished` with its
result, `worker_ended` last.

Where the id comes from: an `@event_consumer` puts the message's
correlation in the worker's context data; an RPC's caller sent it as
`nameko.correlation_id`, which Nameko unpacks into the same place; a timer's
tick (or a caller that sent none) starts a new one. It is written back into
the context data so that an RPC the worker makes carries it on.
"""
from __future__ import annotations

import weakref

from nameko.rpc import Rpc
from nameko.timer import Timer

from certtrack_shared.tracing import correlation, spans

_state: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _span_kind(entrypoint) -> str:
    if isinstance(entrypoint, Rpc):
        return "server"
    if isinstance(entrypoint, Timer):
        return "internal"
    return "consumer"


def worker_started(worker_ctx) -> None:
    if worker_ctx in _state:  # a service with two Database providers
        return
    data = worker_ctx.data
    correlation_id = correlation.usable(data.get(correlation.CONTEXT_KEY)) or correlation.new()
    data[correlation.CONTEXT_KEY] = correlation_id
    token = correlation.bind(correlation_id)
    entrypoint = worker_ctx.entrypoint
    span = spans.start(
        f"{worker_ctx.service_name}.{entrypoint.method_name}", _span_kind(entrypoint),
        headers=data,
        attributes={"certtrack.correlation_id": correlation_id,
                    "certtrack.service": worker_ctx.service_name,
                    "certtrack.entrypoint": entrypoint.method_name,
                    **({"messaging.destination.name": entrypoint.queue_name}
                       if hasattr(entrypoint, "event_type") else {})})
    _state[worker_ctx] = (token, span)


def worker_finished(worker_ctx, exc_info) -> None:
    state = _state.get(worker_ctx)
    if state is not None:
        state[1].end(exc_info[1] if exc_info else None)


def worker_ended(worker_ctx) -> None:
    state = _state.pop(worker_ctx, None)
    if state is not None:
        state[1].end()
        correlation.unbind(state[0])
