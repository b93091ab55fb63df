"""Candidate IDs, and matching the candidates vendors report (no broker)."""
from __future__ import annotations

import re

import eventlet
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certtrack_shared.consumer import PoisonMessage
from certtrack_shared.database import create_service_engine
from identity.models import Candidate, Registration

from services.identity.tests.support import (
    FakeClock,
    FakeOutbox,
    make_candidate,
    report,
    unique_email,
)


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_candidate_ids_are_the_program_prefix_and_8_digits_in_sequence(session, outbox, clock):
    made = [make_candidate(session, outbox, clock).candidate_id for _ in range(3)]
    juniper = make_candidate(session, outbox, clock, program="juniper").candidate_id
    assert made == ["CSCO10000001", "CSCO10000002", "CSCO10000003"]
    assert all(re.fullmatch(r"CSCO\d{8}", cid) for cid in made)
    assert juniper == "JNPR10000001"


def test_an_unknown_person_is_created_welcomed_and_announced(session, outbox, clock):
    email = unique_email("new")
    outcome = report(session, outbox, clock, registration_number="REG-1", email=email.upper(),
                     first_name="John", last_name="Doe")
    assert outcome == {"candidate_id": "CSCO10000001", "created": True}
    candidate = session.get(Candidate, "CSCO10000001")
    assert (candidate.first_name, candidate.last_name, candidate.email) == ("John", "Doe", email)
    assert candidate.password_hash is None

    [registered] = outbox.events_of("candidate_registered")
    assert (registered.candidate_id, registered.source, registered.email) == (
        "CSCO10000001", "vendor", email)
    [linked] = outbox.events_of("registration_linked")
    assert (linked.vendor, linked.registration_number, linked.candidate_id) == (
        "pearson_vue", "REG-1", "CSCO10000001")
    assert linked.event_id.startswith("identity-") and linked.occurred_at == clock.now

    [welcome] = outbox.mails_to(email)
    assert "CSCO10000001" in welcome.text
    assert "/first-time" in welcome.text and "/first-time" in welcome.html


def test_a_reported_candidate_id_is_matched_first(session, outbox, clock):
    first = make_candidate(session, outbox, clock)
    second = make_candidate(session, outbox, clock)
    outbox.clear()
    outcome = report(session, outbox, clock, candidate_id=first.candidate_id.lower(),
                     email=second.email)
    assert outcome == {"candidate_id": first.candidate_id, "created": False}
    assert outbox.events_of("candidate_registered") == [] and outbox.mails == []


def test_an_earlier_registration_number_is_matched_before_the_email(session, outbox, clock):
    created = report(session, outbox, clock, registration_number="REG-7", email=unique_email())
    other = make_candidate(session, outbox, clock)
    again = report(session, outbox, clock, registration_number="REG-7", email=other.email)
    assert again == {"candidate_id": created["candidate_id"], "created": False}
    assert count(session, Registration) == 1


def test_the_email_is_matched_last_case_insensitively(session, outbox, clock):
    existing = make_candidate(session, outbox, clock)
    outcome = report(session, outbox, clock, registration_number="REG-9",
                     email=existing.email.upper())
    assert outcome == {"candidate_id": existing.candidate_id, "created": False}
    registration = session.execute(select(Registration)).scalar_one()
    assert (registration.registration_number, registration.candidate_id, registration.last_name) == (
        "REG-9", existing.candidate_id, "Doe")


def test_an_unknown_candidate_id_falls_through_to_the_email(session, outbox, clock):
    existing = make_candidate(session, outbox, clock)
    outcome = report(session, outbox, clock, candidate_id="CSCO99999999", email=existing.email)
    assert outcome["candidate_id"] == existing.candidate_id


def test_a_registration_number_stays_with_its_first_candidate(session, outbox, clock):
    first = make_candidate(session, outbox, clock)
    second = make_candidate(session, outbox, clock)
    report(session, outbox, clock, registration_number="REG-3", candidate_id=first.candidate_id)
    outcome = report(session, outbox, clock, registration_number="REG-3",
                     candidate_id=second.candidate_id)
    assert outcome["candidate_id"] == first.candidate_id
    assert count(session, Registration) == 1


def test_an_unknown_program_is_a_poison_message(session, outbox, clock):
    with pytest.raises(PoisonMessage, match="unknown program"):
        report(session, outbox, clock, program="no-such-program")
    assert count(session, Candidate) == 0


def test_two_racing_reports_of_one_new_person_create_one_candidate(clean_db, identity_db_url):
    # Two workers at once, each with its own transaction: the first to lock
    # the program creates the person, the second then finds them by email.
    engine = create_service_engine(identity_db_url)  # green psycopg2, as in the service
    email = unique_email("racer")

    def run(registration_number):
        with Session(engine) as session:
            outcome = report(session, FakeOutbox(), FakeClock(),
                             registration_number=registration_number, email=email)
            eventlet.sleep(0.3)  # keep the transaction open while the other tries
            session.commit()
            return outcome

    try:
        first, second = eventlet.spawn(run, "RACE-1"), eventlet.spawn(run, "RACE-2")
        outcomes = [first.wait(), second.wait()]
    finally:
        engine.dispose()
    assert outcomes[0]["candidate_id"] == outcomes[1]["candidate_id"]
    assert sorted(o["created"] for o in outcomes) == [False, True]
    with Session(clean_db) as session:
        assert count(session, Candidate) == 1
        assert count(session, Registration) == 2
