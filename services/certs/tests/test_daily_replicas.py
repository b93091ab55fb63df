"""Two certs replicas whose timers fire at the same moment do their work once (issue 17).

Every replica has the daily timer and the credential backfill. Both replicas
are real containers on one vhost and one database, their timers fired in two
green threads released together, each on its own database connections: the
race of two pods at midnight.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import date

import eventlet
from eventlet.event import Event as GreenEvent
from nameko.testing.services import entrypoint_hook
from sqlalchemy import text

from certtrack_shared.clock import Clock, ClockProvider
from tests.harness.messages import capture_queue, drain, wait_for

from services.certs.tests.events import exam_result, processed, publish, registered

THE_DAY = date(2026, 6, 10)
# CCNA lasts three years: passed on 2023-06-10 it expires on the day; on 2023-07-10, 30 days later.
EXPIRING = {f"CSCO2000000{n}": "2023-06-10" for n in range(1, 4)}
REMINDED = {f"CSCO2100000{n}": "2023-07-10" for n in range(1, 4)}


def _report_facts(amqp_uri, engine) -> None:
    """Each candidate registered with an email and their CCNA passed, all applied."""
    before = processed(engine)
    bodies = []
    for candidate_id, on in {**EXPIRING, **REMINDED}.items():
        bodies.append(("identity.events", "candidate_registered",
                       registered(candidate_id, f"{candidate_id.lower()}@example.com")))
        bodies.append(("exams.events", "exam_passed", exam_result(candidate_id, "200-301", on)))
    for exchange, routing_key, body in bodies:
        publish(amqp_uri, exchange, routing_key, body)
    wait_for(lambda: processed(engine) >= before + len(bodies), timeout=30, message="certs to apply the facts")


def _move_clock(container, day: date) -> None:
    """Midnight passes for this replica (what CERTTRACK_TODAY would say after a restart)."""
    [provider] = [dep for dep in container.dependencies if isinstance(dep, ClockProvider)]
    provider.clock = Clock(pinned_day=day)


def _tick_together(containers, timer: str = "daily_tick") -> None:
    """Each replica's `timer` fires, released at the same instant."""
    go = GreenEvent()

    def tick(container):
        with entrypoint_hook(container, timer) as fire:
            go.wait()
            fire()

    threads = [eventlet.spawn(tick, container) for container in containers]
    eventlet.sleep(0.1)  # both threads are waiting at the start line
    go.send(True)
    for thread in threads:
        thread.wait()


def test_two_replicas_ticking_at_once_expire_and_remind_each_candidate_once(
        start_certs, certs_amqp, certs_db, smtp_server):
    expired = capture_queue(certs_amqp, "certs.events", "certification_expired")
    replicas = [start_certs(today="2026-06-09"), start_certs(today="2026-06-09")]
    _report_facts(certs_amqp, certs_db)
    for replica in replicas:
        _move_clock(replica, THE_DAY)

    _tick_together(replicas)
    _tick_together(replicas)  # five minutes later: the day is done, whichever replica ticks

    announced = Counter(json.loads(m["body"])["candidate_id"] for m in drain(certs_amqp, expired))
    assert announced == Counter(list(EXPIRING))

    def reminders():
        return Counter(str(m["To"]) for m in smtp_server.messages()
                       if "expires in 30 days" in m["Subject"] and "csco21" in str(m["To"]))

    wait_for(lambda: len(reminders()) == len(REMINDED), message="a reminder to each candidate")
    eventlet.sleep(1)  # a second replica's mails would have gone out by now
    assert reminders() == Counter(f"{candidate_id.lower()}@example.com" for candidate_id in REMINDED)
    with certs_db.connect() as connection:
        runs = connection.execute(text("SELECT day, expired, reminders FROM daily_runs")).all()
    # The day's record counts each expiry and reminder once: one replica ran it.
    assert [tuple(run) for run in runs] == [(THE_DAY, len(EXPIRING), len(REMINDED))]


def test_two_replicas_backfilling_at_once_issue_each_credential_once(start_certs, certs_amqp, certs_db):
    replicas = [start_certs(today="2026-06-09"), start_certs(today="2026-06-09")]
    _report_facts(certs_amqp, certs_db)
    wait_for(lambda: _credentials(certs_db) == len(EXPIRING) + len(REMINDED), message="the badges issued")
    with certs_db.begin() as connection:  # as if they were certified before badges existed
        connection.execute(text("DELETE FROM issued_credentials"))

    _tick_together(replicas, "issue_due_credentials")

    with certs_db.connect() as connection:
        issued = connection.execute(text(
            "SELECT candidate_id, count(*) FROM issued_credentials GROUP BY candidate_id")).all()
    assert dict(issued) == {candidate_id: 1 for candidate_id in {**EXPIRING, **REMINDED}}


def _credentials(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM issued_credentials")).scalar_one()
