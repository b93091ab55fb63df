"""The daily run: expiry and the 180/90/30-day reminders, each once, with the clock moved."""
from __future__ import annotations

import json
from datetime import date

from nameko.testing.services import entrypoint_hook

from tests.harness.messages import capture_queue, drain, wait_for

from services.certs.tests.events import mails_to, passed, register, text_of
from certs.handlers.daily import reminder_due

CSCO = "CSCO10000001"


def test_reminder_thresholds_are_the_nearest_one_reached():
    expires = date(2026, 6, 10)
    assert reminder_due(expires, date(2025, 12, 11)) is None  # 181 days left
    assert reminder_due(expires, date(2025, 12, 12)) == 180
    assert reminder_due(expires, date(2026, 3, 12)) == 90
    assert reminder_due(expires, date(2026, 5, 11)) == 30
    assert reminder_due(expires, date(2026, 6, 10)) is None  # expiry day: expired, not reminded


def test_daily_run_reminds_once_per_threshold_then_expires_once(
        start_certs, certs_amqp, certs_db, rpc, smtp_server):
    expired = capture_queue(certs_amqp, "certs.events", "certification_expired")
    start_certs(today="2025-12-01")
    email = "reminded.ada@example.com"
    register(certs_amqp, certs_db, CSCO, email)
    passed(certs_amqp, certs_db, CSCO, "200-301", "2023-06-10")  # expires 2026-06-10

    def reminders():
        return sorted(m["Subject"] for m in mails_to(smtp_server, email) if "expires in" in m["Subject"])

    runs = [("2025-12-10", 0), ("2025-12-12", 1), ("2025-12-12", 0), ("2026-01-20", 0),
            ("2026-03-12", 1), ("2026-04-01", 0), ("2026-05-11", 1), ("2026-06-01", 0)]
    for day, count in runs:
        assert rpc.run_daily(day)["reminders"] == count, day
    wait_for(lambda: len(reminders()) == 3, message="three reminders")
    assert reminders() == ["Your CCNA certification expires in 180 days",
                           "Your CCNA certification expires in 30 days",
                           "Your CCNA certification expires in 90 days"]
    [thirty] = [m for m in mails_to(smtp_server, email) if "30 days" in m["Subject"]]
    assert "June 10, 2026" in text_of(thirty) and "30 CE credits" in text_of(thirty)

    assert rpc.run_daily("2026-06-10")["expired"] == 1
    assert rpc.run_daily("2026-06-11")["expired"] == 0
    [event] = [json.loads(m["body"]) for m in drain(certs_amqp, expired)]
    assert (event["certification_id"], event["status"], event["expires_on"]) == ("ccna", "expired", "2026-06-10")
    wait_for(lambda: [m for m in mails_to(smtp_server, email) if "has expired" in m["Subject"]])
    assert len(reminders()) == 3


def test_the_timer_runs_the_day_once_on_the_moved_clock(
        start_certs, certs_amqp, certs_db, rpc, container_factory):
    expired = capture_queue(certs_amqp, "certs.events", "certification_expired")
    first = start_certs(today="2026-06-01")
    passed(certs_amqp, certs_db, CSCO, "200-301", "2023-06-10")
    assert rpc.certifications(CSCO)["items"][0]["status"] == "active"
    first.stop()

    moved = start_certs(today="2026-06-12")  # the clock moved past the expiry
    # Until the day is run the candidate sees what was announced (decision 0021).
    assert rpc.certifications(CSCO)["items"][0]["status"] == "active"
    for _ in range(2):
        with entrypoint_hook(moved, "daily_tick") as tick:
            tick()
    [event] = [json.loads(m["body"]) for m in drain(certs_amqp, expired)]
    assert event["expires_on"] == "2026-06-10" and event["revision"] == 2
    assert rpc.certifications(CSCO)["items"][0]["status"] == "expired"
