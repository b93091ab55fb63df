"""A vendor result's correlation id goes with everything exams does for it
(certtrack_shared/tracing, decision 0033): the events it files in its outbox
carry it as a header, and its log lines name it, even when a batch applies
results of many correlations in one transaction."""
from __future__ import annotations

import json
import logging
import uuid

import pytest
from sqlalchemy import create_engine, text

from certtrack_shared.tracing import correlation, logs
from exams.service import RESULT_BATCH, ExamsService
from tests.harness.messages import publish_raw, wait_for
from tests.harness.vendor import result


class JsonLines(logging.Handler):
    """What the service's log would hold, as JSON records."""

    def __init__(self):
        super().__init__()
        self.setFormatter(logs.formatter("exams"))
        self.records: list[dict] = []

    def emit(self, record):
        self.records.append(json.loads(self.format(record)))


@pytest.fixture
def log_lines():
    handler = JsonLines()
    logger = logging.getLogger("certtrack_shared.consumer")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield handler.records
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def database(exams_config):
    engine = create_engine(exams_config["DATABASE_URL"])
    yield engine
    engine.dispose()


def test_each_result_of_a_batch_keeps_its_own_correlation(
        container_factory, exams_config, database, amqp_uri, log_lines):
    prefix = f"corr{uuid.uuid4().hex[:6]}"
    sent = {}  # registration number → the correlation id it must keep
    # Queued before exams starts, so that the batches are full and mixed.
    for i in range(2 * RESULT_BATCH):
        body = result(f"{prefix}-{i}")
        if i % 3 == 0:  # the vendor's own id
            headers = {correlation.HEADER: f"vendor-trace-{prefix}-{i}"}
            expected = headers[correlation.HEADER]
        elif i % 3 == 1:  # none: the result's event_id
            headers, expected = None, body["event_id"]
        else:  # an id that could forge a log line is not taken: the event_id
            headers = {correlation.HEADER: "x\n{\"level\": \"ERROR\"}" + "y" * 300}
            expected = body["event_id"]
        publish_raw(amqp_uri, "vendor.events", "exam_result", body, body["event_id"], headers=headers)
        sent[body["registration_number"]] = (expected, body["event_id"])

    container_factory(ExamsService, exams_config).start()

    def filed():
        with database.connect() as connection:
            return connection.execute(text(
                "SELECT payload, headers FROM outbox_messages WHERE routing_key = 'candidate_reported'"
                " AND payload->>'registration_number' LIKE :p"), {"p": f"{prefix}-%"}).all()

    rows = wait_for(lambda: len(filed()) == len(sent) and filed(), timeout=60,
                    message="a candidate report for every result")
    for row in rows:
        expected, _ = sent[row.payload["registration_number"]]
        assert row.headers[correlation.HEADER] == expected, row.payload["registration_number"]

    handled = {line["event_id"]: line for line in log_lines
               if line["message"].startswith("exams.handle_exam_result handled")}
    for expected, event_id in sent.values():
        assert handled[event_id]["correlation_id"] == expected
        assert handled[event_id]["service"] == "exams"


VENDOR_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
VENDOR_SPAN = "00f067aa0ba902b7"


@pytest.fixture
def collector(monkeypatch):
    """An OTLP collector the service exports to; tracing off again afterwards."""
    from certtrack_shared.tracing import spans
    from tests.harness.otlp import Collector

    spans.shutdown()  # whatever an earlier container of this process configured
    collector = Collector()
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_SDK_DISABLED", raising=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    yield collector
    spans.shutdown()
    collector.close()


def test_a_traced_vendor_result_continues_the_vendor_s_trace_through_exams(
        container_factory, exams_config, database, amqp_uri, collector):
    from certtrack_shared.tracing import spans
    from tests.harness.otlp import attributes_of

    body = result(f"traced{uuid.uuid4().hex[:6]}")
    publish_raw(amqp_uri, "vendor.events", "exam_result", body, body["event_id"],
                headers={"traceparent": f"00-{VENDOR_TRACE}-{VENDOR_SPAN}-01"})
    container_factory(ExamsService, exams_config).start()

    def filed():
        with database.connect() as connection:
            return connection.execute(text(
                "SELECT headers FROM outbox_messages WHERE payload->>'registration_number' = :n"),
                {"n": body["registration_number"]}).scalar()

    headers = wait_for(filed, timeout=30, message="exams to report the result's candidate")
    # The event exams files goes on in the vendor's trace, under exams' own span.
    assert headers["traceparent"].split("-")[1] == VENDOR_TRACE
    assert headers[correlation.HEADER] == body["event_id"]
    spans.shutdown()  # flushes what the service's spans exported

    applied = [span for _, span in collector.spans if span.name == "exams.handle_exam_result message"]
    assert len(applied) == 1
    assert applied[0].trace_id.hex() == VENDOR_TRACE
    assert applied[0].parent_span_id.hex() == VENDOR_SPAN
    assert attributes_of(applied[0].attributes)["certtrack.correlation_id"] == body["event_id"]
    assert headers["traceparent"].split("-")[2] == applied[0].span_id.hex()
    assert {resource["service.name"] for resource, _ in collector.spans} == {"exams"}
