"""A real database outage: the consumer retries with back-off and loses nothing."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from sample_service import SampleService
from tests.harness.messages import drain, publish_raw, wait_for
from tests.harness.tcp_proxy import TcpProxy

QUEUE = "evt-sample-sample_noted--sample.handle_sample_noted"


@pytest.mark.slow
def test_events_during_a_database_outage_are_applied_once_it_is_back(
    container_factory, sample_config, sample_db, sample_db_url, amqp_uri, monkeypatch
):
    monkeypatch.setenv("CONSUMER_RETRY_DELAYS_MS", "500,1000,2000,4000,8000")
    url = make_url(sample_db_url)
    proxy = TcpProxy(url.host, url.port or 5432)
    config = dict(sample_config, DATABASE_URL=url.set(host="127.0.0.1", port=proxy.port)
                  .render_as_string(hide_password=False))
    container = container_factory(SampleService, config)
    container.start()
    try:
        proxy.cut()
        ids = []
        for i in range(5):
            event_id = f"outage-{uuid.uuid4()}"
            ids.append(event_id)
            publish_raw(amqp_uri, "sample.events", "sample_noted", {
                "schema_version": 1, "event_id": event_id, "value": f"during-outage-{i}",
                "occurred_at": datetime.now(timezone.utc).isoformat()}, event_id)
        time.sleep(2.0)  # every message has failed at least once by now
        with sample_db.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM samples")).scalar_one() == 0
        proxy.restore()

        def applied():
            with sample_db.connect() as connection:
                return connection.execute(text(
                    "SELECT count(*) FROM samples WHERE value LIKE 'during-outage-%'"
                )).scalar_one() == 5

        wait_for(applied, timeout=30, message="all five applied after the outage")
        assert drain(amqp_uri, f"{QUEUE}.dlq", quiet_seconds=0.5) == []
    finally:
        proxy.close()
