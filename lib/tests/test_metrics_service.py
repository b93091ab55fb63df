"""A service's metrics port (issue 17, item 3): a real Nameko container with
METRICS_PORT set, scraped before and after real traffic; and RabbitMQ's own
Prometheus endpoint for the depth of the queues.

The sample service runs with its outbox relay off, so the event its RPC
writes waits in the outbox where the backlog gauges can see it.
"""
from __future__ import annotations

import os
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone
from urllib.parse import quote, urlparse

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from prometheus_client.parser import text_string_to_metric_families

from certtrack_shared import metrics
from sample_service import SampleService
from tests.harness.broker import MANAGEMENT
from tests.harness.messages import publish_raw, wait_for

QUEUE = "evt-sample-sample_noted--sample.handle_sample_noted"
# RabbitMQ's rabbitmq_prometheus plugin (scripts/ensure_infra.sh enables it).
RABBIT_PROMETHEUS = os.environ.get(
    "RABBIT_PROMETHEUS_URL", f"http://{urlparse(MANAGEMENT).hostname}:15692")


def scrape(url: str) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} of one scrape."""
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode("utf-8")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(series: dict, name: str, **labels) -> float:
    """The sum of `name`'s samples carrying `labels` (0 when there is none)."""
    wanted = set(labels.items())
    return sum(v for (n, found), v in series.items() if n == name and wanted <= set(found))


def noted(value_, **extra) -> dict:
    return {"schema_version": 1, "event_id": f"note-{uuid.uuid4()}",
            "occurred_at": datetime.now(timezone.utc).isoformat(), "value": value_, **extra}


@pytest.fixture
def sample_with_metrics(container_factory, private_sample):
    amqp_uri, db_url = private_sample
    container = container_factory(SampleService, {
        "AMQP_URI": amqp_uri, "DATABASE_URL": db_url, "max_workers": 4,
        "OUTBOX_RELAY": "off", "METRICS_PORT": "0"})
    container.start()
    port = metrics.serving_port()
    assert port, "the container started without a metrics server"
    return amqp_uri, f"http://127.0.0.1:{port}/metrics"


def test_series_move_when_rpc_events_and_a_poison_message_flow(sample_with_metrics):
    """Counters are per process and other tests move them too: each is read
    as the difference between two scrapes."""
    amqp_uri, url = sample_with_metrics
    vhost = urlparse(amqp_uri).path.lstrip("/")
    depth_url = (f"{RABBIT_PROMETHEUS}/metrics/detailed?vhost={quote(vhost, safe='')}"
                 "&family=queue_coarse_metrics&family=queue_consumer_count")
    service = {"service": "sample"}
    queue = {"service": "sample", "queue": QUEUE}
    before = scrape(url)
    assert value(before, "certtrack_db_pool_size", **service) == 6  # max_workers + 2
    assert value(before, "certtrack_outbox_backlog", **service) == 0
    assert value(before, "certtrack_outbox_oldest_age_seconds", **service) == 0
    assert value(before, "certtrack_database_up", **service) == 1

    def moved(name, **labels):
        return value(scrape(url), name, **labels) - value(before, name, **labels)

    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as proxy:
        proxy.sample.record("counted")
        with pytest.raises(Exception):
            proxy.sample.record_and_fail("rolled back")
        # A query holding a connection while the port is scraped.
        slow = proxy.sample.slow_query.call_async(1.0)
        eventlet.sleep(0.4)
        during = scrape(url)
        slow.result()
    assert value(during, "certtrack_db_pool_checked_out", **service) >= 1

    publish_raw(amqp_uri, "sample.events", "sample_noted", noted("applied"))
    publish_raw(amqp_uri, "sample.events", "sample_noted", noted("once-failed", fail_times=1))
    publish_raw(amqp_uri, "sample.events", "sample_noted", noted("poison"))
    wait_for(lambda: moved("certtrack_messages_consumed_total", **queue) == 2
             and moved("certtrack_messages_dead_lettered_total", **queue) == 1,
             timeout=15, message="two events consumed and one dead-lettered")

    assert moved("certtrack_messages_failed_total", **queue) == 1
    assert moved("certtrack_messages_retried_total", **queue) == 1
    assert moved("certtrack_rpc_duration_seconds_count", method="record", outcome="ok",
                 **service) == 1
    assert moved("certtrack_rpc_duration_seconds_count", method="record_and_fail",
                 outcome="error", **service) == 1
    assert moved("certtrack_rpc_duration_seconds_sum", method="slow_query", **service) >= 1.0
    # Handler latency per entrypoint: three messages, one of them handled twice.
    assert moved("certtrack_handler_duration_seconds_count",
                 entrypoint="handle_sample_noted", **service) == 4
    assert moved("certtrack_handler_duration_seconds_count",
                 entrypoint="handle_sample_noted", outcome="error", **service) == 2
    after = scrape(url)
    # The RPC's event waits in the outbox (relay off), the failed one's was rolled back.
    assert value(after, "certtrack_outbox_backlog", **service) == 1
    assert value(after, "certtrack_outbox_oldest_age_seconds", **service) > 0
    assert value(after, "certtrack_db_pool_checked_out", **service) == 0

    # RabbitMQ's own endpoint: the consumer on its queue, and the dead letter
    # waiting in <queue>.dlq (its statistics refresh every few seconds).
    def rabbit(name, queue_name):
        return value(scrape(depth_url), name, vhost=vhost, queue=queue_name)

    wait_for(lambda: rabbit("rabbitmq_detailed_queue_messages_ready", f"{QUEUE}.dlq") == 1,
             timeout=20, message="RabbitMQ reports the dead letter in the .dlq")
    assert rabbit("rabbitmq_detailed_queue_consumers", QUEUE) == 1

    # The port answers nothing but its metrics.
    for path in ("/", "/healthz", "/metrics/../x", "/favicon.ico"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url.replace("/metrics", path), timeout=5)
        assert refused.value.code == 404


class _Container:
    service_name = "sample"

    def __init__(self, config):
        self.config = config


def _endpoint(config) -> metrics.MetricsEndpoint:
    endpoint = metrics.MetricsEndpoint()
    endpoint.container = _Container(config)
    return endpoint


def test_no_metrics_server_without_metrics_port(monkeypatch):
    monkeypatch.delenv("METRICS_PORT", raising=False)
    endpoint = _endpoint({})
    endpoint.setup()
    assert metrics.serving_port() is None
    endpoint.stop()


@pytest.mark.parametrize("port", ["not-a-port", "taken"])
def test_a_metrics_port_that_cannot_be_opened_stops_the_start(port):
    taken = eventlet.listen(("127.0.0.1", 0))
    if port == "taken":
        port = str(taken.getsockname()[1])
    try:
        with pytest.raises(metrics.endpoint.MetricsPortError, match="METRICS_PORT"):
            _endpoint({"METRICS_PORT": port}).setup()
    finally:
        taken.close()
    assert metrics.serving_port() is None


def test_an_expected_exception_counts_as_refused_not_as_error():
    class NotFound(Exception):
        pass

    def outcome(error, expected):
        exc_info = None if error is None else (type(error), error, None)
        return metrics.series._rpc_outcome(exc_info, expected)

    assert outcome(None, (NotFound,)) == "ok"
    assert outcome(NotFound("no such candidate"), (NotFound,)) == "refused"
    assert outcome(NotFound("no such candidate"), NotFound) == "refused"
    assert outcome(ValueError("a bug"), (NotFound,)) == "error"
    assert outcome(NotFound("undeclared"), ()) == "error"
