"""The Database provider: commits with the reply, and never blocks the hub."""
from __future__ import annotations

import time

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from sample_service import SampleService


def test_twenty_slow_queries_run_concurrently(container_factory, sample_config, sample_db, amqp_uri):
    # psycopg2 made green: 20 queries of 1 s each take about 1 s, not 20 s.
    container = container_factory(SampleService, sample_config)
    container.start()
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as proxy:
        proxy.sample.count()  # warm the connection pool's first connection
        started = time.monotonic()
        replies = [proxy.sample.slow_query.call_async(1.0) for _ in range(20)]
        assert [reply.result() for reply in replies] == [1.0] * 20
        elapsed = time.monotonic() - started
    assert elapsed < 4.0, f"20 concurrent 1 s queries took {elapsed:.1f} s"


def test_reply_comes_after_the_commit(container_factory, sample_config, sample_db, amqp_uri):
    container = container_factory(SampleService, sample_config)
    container.start()
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as proxy:
        proxy.sample.record("durable")
        # Read through a different connection straight away: already there.
        with sample_db.connect() as connection:
            from sqlalchemy import text

            assert connection.execute(
                text("SELECT count(*) FROM samples WHERE value = 'durable'")
            ).scalar_one() == 1


def test_error_rolls_the_worker_back(container_factory, sample_config, sample_db, amqp_uri):
    container = container_factory(SampleService, sample_config)
    container.start()
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as proxy:
        with pytest.raises(Exception) as raised:
            proxy.sample.record_and_fail("never")
        assert "refused after writing" in str(raised.value)
        assert proxy.sample.count("never") == 0
