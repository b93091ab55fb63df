"""The outbox: state change and event commit together; the relay catches up."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from sample_service import SampleService
from tests.harness.messages import capture_queue, drain, wait_for

HERE = Path(__file__).parent


def test_event_is_published_after_commit(container_factory, sample_config, sample_db, amqp_uri):
    queue = capture_queue(amqp_uri, "sample.events", "sample_recorded")
    container = container_factory(SampleService, sample_config)
    container.start()
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as proxy:
        event_id = proxy.sample.record("first")
    messages = drain(amqp_uri, queue, quiet_seconds=1.5)
    assert [m["message_id"] for m in messages] == [event_id]
    message = messages[0]
    assert message["properties"]["content_type"] == "application/json"
    assert message["properties"]["delivery_mode"] == 2
    with sample_db.connect() as connection:
        sent = connection.execute(text("SELECT sent_at FROM outbox_messages")).scalar_one()
    assert sent is not None


def test_rolled_back_change_publishes_nothing(container_factory, sample_config, sample_db, amqp_uri):
    queue = capture_queue(amqp_uri, "sample.events", "#")
    container = container_factory(SampleService, sample_config)
    container.start()
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as proxy:
        with pytest.raises(Exception):
            proxy.sample.record_and_fail("doomed")
        assert proxy.sample.count("doomed") == 0
    assert drain(amqp_uri, queue, quiet_seconds=1.0) == []


def _service_process(tmp_path, amqp_uri, db_url, relay):
    cfg = {
        "AMQP_URI": amqp_uri,
        "DATABASE_URL": db_url,
        "OUTBOX_RELAY": relay,
        "OUTBOX_POLL_SECONDS": 0.2,
        "SMTP_URL": "smtp://127.0.0.1:1",
    }
    path = tmp_path / f"sample-{relay}.yml"
    path.write_text(yaml.safe_dump(cfg))
    env = dict(os.environ, CERTTRACK_ENV="test", PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("nameko")), "run", "--config", str(path), "sample_service"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _wait_for_rpc(amqp_uri):
    def answers():
        try:
            with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=2) as proxy:
                proxy.sample.count()
            return True
        except Exception:
            return False

    wait_for(answers, timeout=30, message="sample service to answer")


@pytest.mark.slow
def test_kill_between_commit_and_publish_still_publishes_exactly_once(tmp_path, private_sample):
    amqp_uri, sample_db_url = private_sample
    queue = capture_queue(amqp_uri, "sample.events", "sample_recorded")
    # First life: the relay never gets to publish (as if the process died
    # right after the commit), then the process is killed outright.
    process = _service_process(tmp_path, amqp_uri, sample_db_url, relay="off")
    try:
        _wait_for_rpc(amqp_uri)
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as proxy:
            event_ids = [proxy.sample.record(f"v{i}") for i in range(5)]
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    assert drain(amqp_uri, queue, quiet_seconds=0.5) == []

    # Second life: the relay finds the committed rows and publishes each once.
    process = _service_process(tmp_path, amqp_uri, sample_db_url, relay="on")
    try:
        messages = []
        # The restarted process may take a while to come up on a busy machine:
        # wait for the five, then keep listening to catch any duplicate.
        wait_for(lambda: messages.extend(drain(amqp_uri, queue, quiet_seconds=0.5)) or
                 len(messages) >= 5, timeout=60, message="the five events after restart")
        messages += drain(amqp_uri, queue, quiet_seconds=2)
    finally:
        process.terminate()
        process.wait(20)
    published = [m["message_id"] for m in messages]
    # Every committed event went out once. (Nameko acks an RPC request after
    # replying, so a request whose ack the kill cut off is run again by the
    # restarted service: that is one more committed event, published once.)
    engine = create_engine(sample_db_url)
    with engine.connect() as connection:
        committed = connection.execute(text("SELECT message_id FROM outbox_messages")).scalars().all()
    engine.dispose()
    assert sorted(published) == sorted(committed)
    assert len(set(published)) == len(published)
    assert set(event_ids) <= set(published)
