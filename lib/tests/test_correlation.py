"""The correlation id crosses every hop of the shared plumbing
(certtrack_shared/tracing, decision 0033): an RPC caller's id reaches the
events and mails the call files in its outbox; a consumed message's header
reaches the worker; an id that could forge a log line is never taken."""
from __future__ import annotations

import json
import logging

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy.orm import Session

from certtrack_shared.mail import MailTemplates
from certtrack_shared.outbox import MAIL_CORRELATION_HEADER, OutboxWriter
from certtrack_shared.tracing import correlation, logs
from sample_service import SampleService
from tests.harness.messages import capture_queue, drain, wait_for


@pytest.fixture
def sample(container_factory, sample_config, sample_db):
    container = container_factory(SampleService, sample_config)
    container.start()
    return container


def test_an_rpc_caller_s_id_goes_out_with_the_event_the_call_published(sample, amqp_uri):
    queue = capture_queue(amqp_uri, "sample.events", "sample_recorded")
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10,
                         context_data={correlation.CONTEXT_KEY: "site-request-42"}) as proxy:
        followed = proxy.sample.record("followed")
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as proxy:
        unnamed = proxy.sample.record("unnamed")
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10,
                         context_data={correlation.CONTEXT_KEY: "bad id\r\nX-Injected: 1"}) as proxy:
        forged = proxy.sample.record("forged")
    messages = {m["message_id"]: m for m in drain(amqp_uri, queue, quiet_seconds=1.5)}
    assert messages[followed]["headers"][correlation.HEADER] == "site-request-42"
    # A call that named none (or an unusable one) starts its own: a fresh id per call.
    started = {messages[unnamed]["headers"][correlation.HEADER],
               messages[forged]["headers"][correlation.HEADER]}
    assert len(started) == 2 and all(len(value) == 32 for value in started)


def test_a_mail_filed_in_a_correlation_carries_it_to_the_reader(
        tmp_path, sample, sample_db, smtp_server):
    (tmp_path / "notice.subject.txt").write_text("Notice {{ n }}")
    (tmp_path / "notice.txt").write_text("n={{ n }}")
    (tmp_path / "notice.html").write_text("<p>{{ n }}</p>")
    mail = MailTemplates(str(tmp_path)).render("notice", "ann@example.com", n="7")
    with correlation.bound("pv-result-7"), Session(sample_db) as session:
        OutboxWriter(session, "sample").mail(mail)
        session.commit()
    relay = next(p for p in sample.dependencies if type(p).__name__ == "Outbox").relay
    relay.kick()
    received = wait_for(lambda: [m for m in smtp_server.messages() if m["Subject"] == "Notice 7"])
    assert received[0][MAIL_CORRELATION_HEADER] == "pv-result-7"


def test_log_lines_are_json_with_the_current_correlation(capsys):
    handler = logging.StreamHandler()
    handler.setFormatter(logs.formatter("exams"))
    log = logging.getLogger("test_correlation.lines")
    log.addHandler(handler)
    log.propagate = False
    try:
        with correlation.bound("pv-1"):
            log.warning("applied %s", "it", extra={"event_id": "pv-1"})
        log.warning("outside any work")
        try:
            raise ValueError("a \"quoted\"\nmultiline error")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0] | {"time": None} == {
        "time": None, "level": "WARNING", "logger": "test_correlation.lines", "message": "applied it",
        "service": "exams", "event_id": "pv-1", "correlation_id": "pv-1"}
    assert "correlation_id" not in lines[1]
    assert len(lines) == 3 and "ValueError" in lines[2]["exc_info"]


@pytest.mark.parametrize("value, usable", [
    ("pv-9b1c-77", True), ("a" * 128, True), ("a" * 129, False), ("", False),
    ("x y", False), ("x\ny", False), ("é", False), (b"pv-1", True), (b"\xff", False),
    (12, False), ({"id": 1}, False), (None, False),
])
def test_only_plain_bounded_ids_are_taken(value, usable):
    assert (correlation.usable(value) is not None) is usable


def test_a_message_without_a_usable_header_is_followed_by_its_event_id():
    assert correlation.of_message({correlation.HEADER: "vendor-7"}, "pv-1") == "vendor-7"
    assert correlation.of_message({correlation.HEADER: "no good"}, "pv-1") == "pv-1"
    assert correlation.of_message(None, "pv-1") == "pv-1"
    assert len(correlation.of_message(None, "evil id")) == 32
