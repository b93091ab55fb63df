"""OpenTelemetry spans around each worker, exported over OTLP/HTTP when
`OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is
set, and nothing otherwise.

Unconfigured, no TracerProvider exists, no exporter thread runs and no
connection is ever attempted: every call below is one check of a module
variable, since it sits on the path of every message and request.

The provider is this module's own rather than the global one of
`opentelemetry.trace`, which can be set only once per process: a process
(a test run, above all) may configure, shut down and configure again.

Under eventlet the batch processor's worker thread is a green thread and
its HTTP export uses green sockets; it runs whenever the hub does, which in
a Nameko service is always.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Mapping

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

# Attribute values may come from a message: long ones are cut.
ATTRIBUTE_LIMIT = 500
# OTLP carries integers as int64; one bigger would fail the whole batch's encoding.
_INT64 = range(-(2**63), 2**63)

_KINDS = {
    "server": SpanKind.SERVER,
    "consumer": SpanKind.CONSUMER,
    "producer": SpanKind.PRODUCER,
    "client": SpanKind.CLIENT,
    "internal": SpanKind.INTERNAL,
}
_TRACE_HEADERS = ("traceparent", "tracestate")
_PROPAGATOR = TraceContextTextMapPropagator()

_lock = threading.Lock()
_answer: bool | None = None  # configure()'s answer, None until it is called
_provider = None  # the SDK TracerProvider while spans are exported
_tracer = None


def _endpoint_set() -> bool:
    return any(os.environ.get(name, "").strip()
               for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def _sdk_disabled() -> bool:
    return os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"


def configure(service_name: str) -> bool:
    """Once per process: export spans of `service_name` (OTEL_SERVICE_NAME wins,
    as the standard says) if an OTLP endpoint is set and the SDK not disabled.
    Returns whether spans are exported; a second call returns the first answer."""
    global _answer, _provider, _tracer
    with _lock:
        if _answer is not None:
            return _answer
        _answer = _endpoint_set() and not _sdk_disabled()
        if _answer:
            # Imported here: a process that exports nothing never loads the SDK.
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import SERVICE_NAME, Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor

            name = os.environ.get("OTEL_SERVICE_NAME", "").strip() or service_name
            _provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
            # The exporter reads the endpoint, headers, timeout and compression variables itself.
            _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
            _tracer = _provider.get_tracer("certtrack")
        return _answer


def enabled() -> bool:
    return _tracer is not None


def shutdown() -> None:
    """Export what is waiting and stop the exporter (at process or container
    stop). configure() may be called again afterwards."""
    global _answer, _provider, _tracer
    with _lock:
        provider = _provider
        _answer = _provider = _tracer = None
    if provider is not None:
        provider.shutdown()


def _attribute_value(value):
    """`value` as a span attribute: a str, bool, int or float, a str at most ATTRIBUTE_LIMIT long."""
    if isinstance(value, (bool, float)) or (isinstance(value, int) and value in _INT64):
        return value
    if not isinstance(value, str):
        value = str(value)
    return value[:ATTRIBUTE_LIMIT]


class WorkerSpan:
    """A started span, current in its greenlet or thread until end(); one with
    no span (when nothing is exported) does nothing."""

    __slots__ = ("_span", "_token")

    def __init__(self, span=None, token=None):
        self._span = span
        self._token = token

    def set_attribute(self, key: str, value) -> None:
        if self._span is not None:
            self._span.set_attribute(key, _attribute_value(value))

    def end(self, error: BaseException | None = None) -> None:
        """Record `error` (status ERROR and an exception event), end the span and
        make the one current before start() current again. A second call does nothing."""
        span, self._span = self._span, None
        if span is None:
            return
        if error is not None:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, _attribute_value(f"{type(error).__name__}: {error}")))
        span.end()
        context.detach(self._token)


_NOT_EXPORTED = WorkerSpan()


def _parent(headers: Mapping | None):
    """The context to start a span in: the W3C trace context of `headers` when
    given (a new trace when it has none or a malformed one), else the current one."""
    if headers is None:
        return None
    if not isinstance(headers, Mapping):
        return context.Context()
    # Only str values: the propagator takes anything else for a list of headers.
    carrier = {name: value for name in _TRACE_HEADERS if isinstance(value := headers.get(name), str)}
    return _PROPAGATOR.extract(carrier)


def start(name: str, kind: str, headers: Mapping | None = None,
          attributes: Mapping | None = None) -> WorkerSpan:
    """Start span `name` of `kind` ("server", "consumer", "producer", "client",
    "internal"; another counts as "internal") as a child of the trace context
    in `headers` (a message's AMQP headers, an RPC's context data) or, when
    `headers` is None, of the current span; it is the current span until end()."""
    tracer = _tracer
    if tracer is None:
        return _NOT_EXPORTED
    span = tracer.start_span(
        name, context=_parent(headers), kind=_KINDS.get(kind, SpanKind.INTERNAL),
        attributes={key: _attribute_value(value) for key, value in (attributes or {}).items()})
    return WorkerSpan(span, context.attach(trace.set_span_in_context(span)))


def inject(headers: dict) -> dict:
    """Add the current span's `traceparent` (and `tracestate`, if any) to `headers`
    and return it; unchanged when nothing is exported or no span is current."""
    if _tracer is not None:
        _PROPAGATOR.inject(headers)
    return headers
