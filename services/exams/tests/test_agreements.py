"""Exam agreements: versioned text per program, and each candidate's acceptance.

Unit tests run the rules (exams/handlers/agreements.py) on a real session of this
run's migrated exams database, each inside a transaction rolled back
afterwards; integration tests ask the real service over RPC.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from certtrack_shared.validation import parse

from exams.handlers import agreements
from exams.exceptions import AgreementNotFound, AgreementVersionNotCurrent, InvalidAgreement
from exams.schemas import AcceptAgreementRequest, PublishAgreementRequest
from exams.service import ExamsService

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
ADA, GRACE = "CSCO10000001", "CSCO10000002"
STAFF = "sam@certtrack.example"


def publish(session, program="cisco", title="Cisco Certification Exam Agreement", body="Version two.",
            at=NOW, staff=STAFF):
    return agreements.publish_exam_agreement(session, program, title, body, staff, at)


# -- the seeded agreements ------------------------------------------------------------------
@pytest.mark.parametrize("program, title", [
    ("cisco", "Cisco Certification Exam Agreement"),
    ("juniper", "Juniper Networks Certification Program Exam Agreement"),
])
def test_each_program_starts_with_version_1_of_its_agreement(session, program, title):
    current = agreements.exam_agreement(session, ADA, program).current

    assert (current.program, current.version, current.title) == (program, 1, title)
    paragraphs = current.body.split("\n\n")
    assert len(paragraphs) >= 4
    for subject in ("confidential", "conduct", "score", "revoke"):
        assert subject in current.body.lower()


# -- asking and accepting ------------------------------------------------------------------------
def test_a_candidate_who_never_accepted_is_asked_to(session):
    status = agreements.exam_agreement(session, ADA, "cisco")

    assert status.needs_acceptance is True
    assert status.accepted is None
    assert status.current.version == 1


def test_accepting_the_current_version_records_version_and_time(session):
    status = agreements.accept_exam_agreement(session, ADA, "cisco", 1, NOW)

    assert status.needs_acceptance is False
    assert (status.accepted.version, status.accepted.accepted_at) == (1, NOW)
    assert agreements.exam_agreement(session, ADA, "cisco") == status


def test_accepting_twice_keeps_the_first_acceptance(session):
    agreements.accept_exam_agreement(session, ADA, "cisco", 1, NOW)

    again = agreements.accept_exam_agreement(session, ADA, "cisco", 1, NOW + timedelta(hours=1))

    assert again.accepted.accepted_at == NOW


def test_an_acceptance_is_the_candidates_own_and_the_programs_own(session):
    agreements.accept_exam_agreement(session, ADA, "cisco", 1, NOW)

    assert agreements.exam_agreement(session, GRACE, "cisco").needs_acceptance is True
    assert agreements.exam_agreement(session, ADA, "juniper").needs_acceptance is True


@pytest.mark.parametrize("version", [2, 7])
def test_a_version_that_is_not_current_is_refused(session, version):
    with pytest.raises(AgreementVersionNotCurrent) as refused:
        agreements.accept_exam_agreement(session, ADA, "cisco", version, NOW)

    assert refused.value.detail == {"program": "cisco", "requested_version": version, "current_version": 1}
    assert json.loads(str(refused.value)) == refused.value.detail
    assert agreements.exam_agreement(session, ADA, "cisco").accepted is None


def test_a_program_without_an_agreement_asks_nothing_and_accepts_nothing(session):
    status = agreements.exam_agreement(session, ADA, "acme")
    assert (status.current, status.accepted, status.needs_acceptance) == (None, None, False)

    with pytest.raises(AgreementNotFound) as refused:
        agreements.accept_exam_agreement(session, ADA, "acme", 1, NOW)
    assert refused.value.detail == {"program": "acme"}


# -- publishing a new version ---------------------------------------------------------------------
def test_publishing_creates_the_next_version_and_it_becomes_current(session):
    later = NOW + timedelta(days=30)

    published = publish(session, body="Updated text.", at=later, staff="kim@certtrack.example")

    assert (published.program, published.version, published.body, published.published_at,
            published.published_by) == ("cisco", 2, "Updated text.", later, "kim@certtrack.example")
    current = agreements.exam_agreement(session, ADA, "cisco").current
    assert current.model_dump() == published.model_dump(exclude={"published_by"})
    # Candidates are not told which staff member published it.
    assert "published_by" not in current.model_dump()
    assert agreements.exam_agreement(session, ADA, "juniper").current.version == 1


def test_a_new_version_asks_again_and_only_it_can_be_accepted(session):
    agreements.accept_exam_agreement(session, ADA, "cisco", 1, NOW)
    publish(session)

    status = agreements.exam_agreement(session, ADA, "cisco")
    assert status.needs_acceptance is True
    assert (status.current.version, status.accepted.version) == (2, 1)
    with pytest.raises(AgreementVersionNotCurrent):
        agreements.accept_exam_agreement(session, ADA, "cisco", 1, NOW)

    accepted = agreements.accept_exam_agreement(session, ADA, "cisco", 2, NOW + timedelta(days=1))
    assert accepted.needs_acceptance is False
    assert (accepted.accepted.version, accepted.accepted.accepted_at) == (2, NOW + timedelta(days=1))


def test_staff_see_every_version_newest_first_with_who_published_it(session):
    publish(session, body="Second.", at=NOW + timedelta(days=1), staff="kim@certtrack.example")
    publish(session, body="Third.", at=NOW + timedelta(days=2))

    listed = {p.program: p for p in agreements.exam_agreement_versions(session).programs}

    cisco = listed["cisco"]
    assert cisco.current_version == 3
    assert [(v.version, v.published_by) for v in cisco.versions] == [
        (3, STAFF), (2, "kim@certtrack.example"), (1, "CertTrack")]
    assert cisco.versions[0].body == "Third." and cisco.versions[0].published_at == NOW + timedelta(days=2)
    assert [v.version for v in listed["juniper"].versions] == [1]
    only = agreements.exam_agreement_versions(session, "juniper").programs
    assert [p.program for p in only] == ["juniper"]


def test_versions_count_up_per_program(session):
    assert [publish(session).version for _ in range(3)] == [2, 3, 4]
    assert publish(session, program="juniper").version == 2
    assert publish(session, program="acme").version == 1


# -- arguments ------------------------------------------------------------------------------------
def test_arguments_are_normalised():
    request = parse(AcceptAgreementRequest, {"candidate_id": ADA, "program": " Cisco ", "version": 1}, InvalidAgreement)
    assert request.program == "cisco"


@pytest.mark.parametrize("arguments, field", [
    ({"version": "1"}, "version"),
    ({"version": 0}, "version"),
    ({"version": True}, "version"),
    ({"program": "cisco; drop"}, "program"),
    ({"candidate_id": ""}, "candidate_id"),
])
def test_invalid_accept_arguments_are_refused_by_field(arguments, field):
    with pytest.raises(InvalidAgreement) as refused:
        parse(AcceptAgreementRequest, {"candidate_id": ADA, "program": "cisco", "version": 1, **arguments},
              InvalidAgreement)
    assert list(refused.value.fields) == [field]


def test_a_new_version_needs_a_title_a_body_and_the_staff_member():
    with pytest.raises(InvalidAgreement) as refused:
        parse(PublishAgreementRequest, {"program": "cisco", "title": "  ", "body": "", "staff": " "}, InvalidAgreement)
    assert set(refused.value.fields) == {"title", "body", "staff"}


# -- the service over RPC -----------------------------------------------------------------------
@pytest.fixture
def exams_rpc(container_factory, exams_config):
    container_factory(ExamsService, exams_config).start()
    with ClusterRpcProxy({"AMQP_URI": exams_config["AMQP_URI"]}, timeout=10) as proxy:
        yield proxy.exams


def test_agreement_rpcs_ask_accept_and_ask_again_after_a_new_version(exams_rpc):
    first = exams_rpc.exam_agreement(candidate_id=ADA, program="cisco")
    assert first["needs_acceptance"] is True and first["accepted"] is None
    assert first["current"]["version"] == 1 and first["current"]["title"]

    accepted = exams_rpc.accept_exam_agreement(candidate_id=ADA, program="cisco", version=1)
    assert accepted["needs_acceptance"] is False and accepted["accepted"]["version"] == 1
    assert exams_rpc.exam_agreement(candidate_id=ADA, program="cisco") == accepted

    published = exams_rpc.publish_exam_agreement(program="cisco", title="Cisco Exam Agreement", body="v2",
                                                 staff=STAFF)
    assert (published["version"], published["published_by"]) == (2, STAFF)
    versions = exams_rpc.exam_agreement_versions(program="cisco")["programs"][0]
    assert versions["current_version"] == 2
    assert [(v["version"], v["published_by"]) for v in versions["versions"]] == [(2, STAFF), (1, "CertTrack")]

    again = exams_rpc.exam_agreement(candidate_id=ADA, program="cisco")
    assert again["needs_acceptance"] is True
    assert (again["current"]["version"], again["accepted"]["version"]) == (2, 1)
    assert again["accepted"]["accepted_at"] == accepted["accepted"]["accepted_at"]


def test_agreement_rpc_errors_carry_their_detail_as_json(exams_rpc):
    with pytest.raises(RemoteError) as stale:
        exams_rpc.accept_exam_agreement(candidate_id=GRACE, program="juniper", version=3)
    assert stale.value.exc_type == "AgreementVersionNotCurrent"
    assert json.loads(stale.value.value) == {
        "program": "juniper", "requested_version": 3, "current_version": 1}

    with pytest.raises(RemoteError) as invalid:
        exams_rpc.publish_exam_agreement(program="cisco", title="", body="text", staff=STAFF)
    assert invalid.value.exc_type == "InvalidAgreement"
    assert list(json.loads(invalid.value.value)) == ["title"]


def test_concurrent_publishes_and_accepts_neither_clash_nor_duplicate(exams_config):
    # Real concurrency on the real database: five green threads, each with its
    # own connection and transaction, as five workers of the service would.
    # (Driven directly rather than over RPC: the contention is in the database.)
    import eventlet

    engine = create_engine(exams_config["DATABASE_URL"])

    def in_own_transaction(rule, *args):
        with Session(engine) as own:
            reply = rule(own, *args)
            own.commit()
            return reply

    pool = eventlet.GreenPool(5)
    published = list(pool.imap(lambda n: in_own_transaction(
        agreements.publish_exam_agreement, "juniper", f"Juniper agreement {n}", "text", STAFF, NOW),
        range(5)))
    assert sorted(view.version for view in published) == [2, 3, 4, 5, 6]

    accepted = list(pool.imap(lambda _: in_own_transaction(
        agreements.accept_exam_agreement, ADA, "juniper", 6, NOW), range(5)))
    assert len({status.accepted.accepted_at for status in accepted}) == 1
    engine.dispose()