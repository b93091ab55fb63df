"""certtrack_shared.tracing.spans: spans reach an OTLP/HTTP collector (a real
HTTP server here, decoding what the exporter sends) only when an endpoint is
set, carry their parent across a message's headers, and cost nothing when
no endpoint is set."""
from __future__ import annotations

import logging
import threading
import time

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from certtrack_shared.tracing import spans
from tests.harness.otlp import Collector, attributes_of

OTEL_VARIABLES = (
    "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SDK_DISABLED",
    "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
)


@pytest.fixture(autouse=True)
def otel_environment(monkeypatch):
    """No OTEL_ variable of the machine's; the module unconfigured before and
    after each test (a service container started earlier in the run
    configured it, with spans off)."""
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    spans.shutdown()
    yield
    spans.shutdown()


@pytest.fixture
def collector():
    collector = Collector()
    yield collector
    collector.close()


def batch_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("OtelBatch")]


def test_a_consumer_span_reaches_the_collector_with_its_service_and_attributes(monkeypatch, collector):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)

    assert spans.configure("exams") is True
    assert spans.configure("certs") is True  # the first answer; nothing more installed
    assert spans.enabled() and len(batch_threads()) == 1
    span = spans.start("exams.handle_result_received", "consumer",
                       attributes={"certtrack.correlation_id": "c-1", "attempt": 2, "retried": False,
                                   "body": {"candidate": "ada"}, "note": "x" * 2000, "big": 10**30})
    span.set_attribute("messaging.destination.name", "exams.results")
    span.end()
    spans.shutdown()

    resource, exported = collector.span("exams.handle_result_received")
    assert resource["service.name"] == "exams"
    assert exported.kind == Span.SPAN_KIND_CONSUMER
    assert attributes_of(exported.attributes) == {
        "certtrack.correlation_id": "c-1", "attempt": 2, "retried": False,
        "body": "{'candidate': 'ada'}", "note": "x" * 500, "big": str(10**30),
        "messaging.destination.name": "exams.results"}
    assert not spans.enabled() and batch_threads() == []


def test_otel_service_name_wins_over_the_service_s_own(monkeypatch, collector):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "exams-canary")
    spans.configure("exams")
    spans.start("exams.get_exam", "server").end()
    spans.shutdown()

    assert collector.span("exams.get_exam")[0]["service.name"] == "exams-canary"


def test_a_span_started_from_injected_headers_is_a_child_in_the_same_trace(monkeypatch, collector):
    # The per-signal variable is a full URL; compressed bodies are what a collector sees in production.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"{collector.url}/v1/traces")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
    spans.configure("certs")

    publisher = spans.start("certs.handle_exam_passed", "consumer", headers={})
    inner = spans.start("certs.award", "internal")
    headers = spans.inject({"x-certtrack-correlation-id": "c-2"})
    inner.end()
    publisher.end()
    consumer = spans.start("fulfillment.handle_certification_achieved", "consumer", headers=headers)
    consumer.end()
    after = spans.inject({})
    spans.shutdown()

    assert set(headers) == {"x-certtrack-correlation-id", "traceparent"} and after == {}
    parent = collector.span("certs.handle_exam_passed")[1]
    child = collector.span("certs.award")[1]
    remote_child = collector.span("fulfillment.handle_certification_achieved")[1]
    assert child.trace_id == parent.trace_id and child.parent_span_id == parent.span_id
    assert remote_child.trace_id == parent.trace_id and remote_child.parent_span_id == child.span_id


@pytest.mark.parametrize("headers", [
    {"traceparent": "00-zzzz"},
    {"traceparent": "x" * 10_240, "tracestate": "y" * 10_240},
    {"traceparent": 12},
    {"traceparent": {"00": "4bf92f3577b34da6a3ce929d0e0e4736"}},
    {"traceparent": ["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]},
    {"traceparent": b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
    {"traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"},
])
def test_malformed_trace_headers_start_a_new_trace(monkeypatch, collector, headers):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    spans.configure("exams")
    outer = spans.start("exams.outer", "internal")

    spans.start("exams.handle_hostile", "consumer", headers=headers).end()
    outer.end()
    spans.shutdown()

    hostile, outer_span = collector.span("exams.handle_hostile")[1], collector.span("exams.outer")[1]
    assert hostile.parent_span_id == b"" and hostile.trace_id != outer_span.trace_id


def test_a_junk_tracestate_keeps_the_parent_of_a_valid_traceparent(monkeypatch, collector):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    spans.configure("exams")
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    spans.start("exams.handle_vendor", "consumer",
                headers={"traceparent": traceparent, "tracestate": "\x00" * 10_240}).end()
    spans.shutdown()

    exported = collector.span("exams.handle_vendor")[1]
    assert exported.trace_id.hex() == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert exported.parent_span_id.hex() == "00f067aa0ba902b7"


def test_an_error_gives_the_span_status_error_and_an_exception_event(monkeypatch, collector, caplog):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    spans.configure("fulfillment")

    span = spans.start("fulfillment.ship_order", "consumer")
    with caplog.at_level(logging.WARNING):
        span.end(LookupError("no such order: O-17"))
        # The worker's last hook ends it again: no second end or detach, so nothing for the log.
        span.end()
    spans.shutdown()

    assert caplog.records == []

    exported = collector.span("fulfillment.ship_order")[1]
    assert exported.status.code == Status.STATUS_CODE_ERROR
    assert "no such order: O-17" in exported.status.message
    [event] = exported.events
    assert event.name == "exception"
    assert attributes_of(event.attributes)["exception.type"] == "LookupError"


def _work_is_traced_for_nothing(collector) -> None:
    span = spans.start("exams.handle_result_received", "consumer",
                       headers={"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
                       attributes={"attempt": 1})
    span.set_attribute("outcome", "passed")
    headers = {"x-certtrack-correlation-id": "c-3"}
    assert spans.inject(headers) is headers and headers == {"x-certtrack-correlation-id": "c-3"}
    span.end(ValueError("bad result"))
    span.end()
    spans.shutdown()
    time.sleep(0.3)
    assert collector.requests == 0 and batch_threads() == []


def test_nothing_is_exported_or_started_without_an_endpoint(collector):
    assert spans.configure("exams") is False
    assert not spans.enabled()

    _work_is_traced_for_nothing(collector)


def test_a_disabled_sdk_exports_nothing_even_with_an_endpoint(monkeypatch, collector):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    monkeypatch.setenv("OTEL_SDK_DISABLED", "TRUE")

    assert spans.configure("exams") is False and not spans.enabled()
    _work_is_traced_for_nothing(collector)
