"""Two identity replicas mailing result notices at once mail each one once (issue 17).

Both are real containers on one vhost and one database. Their notice timers
are released together, and each replica's outbox relay then sends what its
worker wrote: the notices (SKIP LOCKED) and the relays (SKIP LOCKED) are
both raced.
"""
from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

import eventlet
from eventlet.event import Event as GreenEvent
from nameko.testing.services import entrypoint_hook
from sqlalchemy.orm import Session

from certtrack_shared.contracts.exams import ExamResultsAvailableV1
from identity.handlers.notices import handle_exam_results_available
from identity.service import IdentityService
from tests.harness.messages import wait_for

from services.identity.tests.support import FakeClock, FakeOutbox, make_candidate

CANDIDATES = 12


def _notices_due(engine) -> list[str]:
    """A waiting result notice, due since a minute ago, for each of CANDIDATES new candidates."""
    clock = FakeClock(datetime.now(timezone.utc) - timedelta(minutes=5))
    addresses = []
    with Session(engine, expire_on_commit=False) as session:
        for _ in range(CANDIDATES):
            candidate = make_candidate(session, FakeOutbox(), clock, email=f"notice-{uuid.uuid4().hex[:10]}@example.com")
            handle_exam_results_available(session, clock, ExamResultsAvailableV1(
                schema_version=1, event_id=f"exams-{uuid.uuid4().hex}", occurred_at=clock(),
                candidate_id=candidate.candidate_id, exam_codes=["200-301"]))
            addresses.append(candidate.email)
        session.commit()
    return addresses


def test_two_replicas_mailing_notices_at_once_mail_each_candidate_once(
        container_factory, identity_config, clean_db, smtp_server):
    replicas = [container_factory(IdentityService, identity_config) for _ in range(2)]
    for replica in replicas:
        replica.start()
    addresses = _notices_due(clean_db)
    go = GreenEvent()

    def tick(container):
        with entrypoint_hook(container, "mail_result_notices") as mail_result_notices:
            go.wait()
            mail_result_notices()

    threads = [eventlet.spawn(tick, replica) for replica in replicas]
    eventlet.sleep(0.1)  # both at the start line
    go.send(True)
    for thread in threads:
        thread.wait()

    def mailed():
        return Counter(str(m["To"]) for m in smtp_server.messages() if str(m["To"]) in addresses)

    wait_for(lambda: len(mailed()) == CANDIDATES, timeout=30, message="a notice to each candidate")
    eventlet.sleep(1)  # a second copy would be on its way by now
    assert mailed() == Counter(addresses)
