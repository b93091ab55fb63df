"""certtrack_shared.agreements: versioned text per program and each candidate's acceptance,
over a service's own two tables (here two small ones), on SQLite and on PostgreSQL."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import DeclarativeBase, Session

from certtrack_shared.agreements import (
    AcceptanceColumns, AgreementColumns, VersionedAgreements, VersionNotCurrent,
)
from certtrack_shared.database import create_service_engine

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
# SQLite gives the time back without its zone.
NOW_READ = NOW.replace(tzinfo=None)
ADA, GRACE = "CSCO10000001", "CSCO10000002"


class Base(DeclarativeBase):
    pass


class SampleAgreement(AgreementColumns, Base):
    __tablename__ = "sample_agreements"


class SampleAcceptance(AcceptanceColumns, Base):
    __tablename__ = "sample_acceptances"
    agreement_table = "sample_agreements"


AGREEMENTS = VersionedAgreements(SampleAgreement, SampleAcceptance)


@pytest.fixture
def engine(tmp_path):
    engine = create_service_engine(f"sqlite:///{tmp_path / 'agreements.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    with Session(engine) as session:
        yield session


def publish(session, program="cisco", body="Version text.", at=NOW):
    return AGREEMENTS.publish(session, program, "Exam Agreement", body, "sam@certtrack.example", at)


def test_versions_are_numbered_per_program_from_1(session):
    assert [publish(session).version, publish(session).version] == [1, 2]
    first = publish(session, program="juniper")

    assert (first.program, first.version, first.published_by) == ("juniper", 1, "sam@certtrack.example")
    assert AGREEMENTS.current(session, "cisco").version == 2


def test_a_program_without_an_agreement_asks_nothing(session):
    standing = AGREEMENTS.standing(session, ADA, "cisco")

    assert (standing.current, standing.accepted, standing.needs_acceptance) == (None, None, False)
    with pytest.raises(VersionNotCurrent) as refused:
        AGREEMENTS.accept(session, ADA, "cisco", 1, NOW)
    assert (refused.value.requested, refused.value.current) == (1, None)


def test_accepting_the_current_version_records_when(session):
    publish(session)
    assert AGREEMENTS.standing(session, ADA, "cisco").needs_acceptance is True

    standing = AGREEMENTS.accept(session, ADA, "cisco", 1, NOW)

    assert standing.needs_acceptance is False
    assert (standing.accepted.version, standing.accepted.accepted_at) == (1, NOW_READ)
    assert AGREEMENTS.standing(session, GRACE, "cisco").needs_acceptance is True


def test_accepting_twice_keeps_the_first_time(session):
    publish(session)
    AGREEMENTS.accept(session, ADA, "cisco", 1, NOW)

    again = AGREEMENTS.accept(session, ADA, "cisco", 1, NOW + timedelta(hours=1))

    assert again.accepted.accepted_at == NOW_READ
    assert session.query(SampleAcceptance).count() == 1


def test_a_new_version_asks_again_and_only_it_can_be_accepted(session):
    publish(session)
    AGREEMENTS.accept(session, ADA, "cisco", 1, NOW)
    publish(session, body="Version two.")

    standing = AGREEMENTS.standing(session, ADA, "cisco")
    assert (standing.current.version, standing.accepted.version, standing.needs_acceptance) == (2, 1, True)
    with pytest.raises(VersionNotCurrent) as refused:
        AGREEMENTS.accept(session, ADA, "cisco", 1, NOW)
    assert (refused.value.requested, refused.value.current) == (1, 2)
    assert AGREEMENTS.accept(session, ADA, "cisco", 2, NOW).needs_acceptance is False


def test_versions_lists_programs_in_order_newest_version_first(session):
    publish(session, program="juniper")
    publish(session)
    publish(session)

    listed = AGREEMENTS.versions(session)

    assert {program: [row.version for row in rows] for program, rows in listed.items()} == {
        "cisco": [2, 1], "juniper": [1]}
    assert list(listed) == ["cisco", "juniper"]
    assert list(AGREEMENTS.versions(session, "juniper")) == ["juniper"]


def test_concurrent_publishes_on_postgresql_take_consecutive_versions(run_databases):
    """The lock keeps two staff members publishing at once from both taking version 1."""
    engine = create_service_engine(run_databases.url("agreements"))
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    versions, errors = [], []

    def publish_one():
        try:
            with Session(engine) as session:
                versions.append(publish(session).version)
                session.commit()
        except Exception as error:  # reported below, where the test can fail on it
            errors.append(error)

    workers = [threading.Thread(target=publish_one) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    engine.dispose()

    assert errors == []
    assert sorted(versions) == [1, 2, 3, 4]
