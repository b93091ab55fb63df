"""Staff accounts, staff login and candidate search (no broker)."""
from __future__ import annotations

import pytest

from identity.exceptions import EmailTaken, InvalidCredentials, InvalidProfile, WeakPassword
from identity.handlers import staff

from services.identity.tests.support import GOOD_PASSWORD, make_candidate


def create(session, hasher, clock, email="lead@certtrack.example.com", role="admin",
           password=GOOD_PASSWORD):
    return staff.staff_create(session, hasher, clock, email=email, name="Lead", role=role,
                              password=password)


def test_staff_log_in_with_their_email_and_password(session, hasher, clock):
    created = create(session, hasher, clock)
    assert created.role == "admin" and created.email == "lead@certtrack.example.com"
    logged_in = staff.staff_authenticate(session, hasher, clock, email="LEAD@certtrack.example.com",
                                         password=GOOD_PASSWORD, client_address="192.0.2.1")
    assert logged_in == created
    for email, password in (("lead@certtrack.example.com", "wrong password!!"),
                            ("nobody@certtrack.example.com", GOOD_PASSWORD)):
        with pytest.raises(InvalidCredentials):
            staff.staff_authenticate(session, hasher, clock, email=email, password=password,
                                     client_address="192.0.2.1")


def test_staff_accounts_are_checked(session, hasher, clock):
    create(session, hasher, clock)
    with pytest.raises(EmailTaken):
        create(session, hasher, clock, role="support")
    with pytest.raises(InvalidProfile) as invalid:
        create(session, hasher, clock, email="x", role="boss")
    assert set(invalid.value.fields) == {"email", "role"}
    with pytest.raises(WeakPassword):
        create(session, hasher, clock, email="new@certtrack.example.com", password="short")


def test_staff_create_candidates_who_get_a_welcome_mail(session, outbox, clock):
    created = staff.staff_create_candidate(session, outbox, clock, program="cisco",
                                           first_name=" Grace ", last_name="Hopper",
                                           email="Grace@Example.com")
    assert (created.candidate_id, created.first_name, created.email) == (
        "CSCO10000001", "Grace", "grace@example.com")
    [registered] = outbox.events_of("candidate_registered")
    assert registered.source == "staff"
    [welcome] = outbox.mails_to("grace@example.com")
    assert "support" in welcome.text and "/first-time" in welcome.text
    with pytest.raises(EmailTaken):
        staff.staff_create_candidate(session, outbox, clock, program="cisco", first_name="G",
                                     last_name="H", email="grace@example.com")
    with pytest.raises(InvalidProfile) as invalid:
        staff.staff_create_candidate(session, outbox, clock, program="ibm", first_name="",
                                     last_name="H", email="g@example.com")
    assert set(invalid.value.fields) == {"program", "first_name"}


def test_staff_search_by_id_email_or_name(session, outbox, clock):
    ada = make_candidate(session, outbox, clock, first_name="Ada", last_name="Lovelace",
                         email="ada@example.com")
    grace = make_candidate(session, outbox, clock, first_name="Grace", last_name="Hopper",
                           email="admiral@navy.example.com")

    def ids(query):
        return [c.candidate_id for c in staff.staff_search_candidates(session, query=query)]

    assert ids(ada.candidate_id.lower()) == [ada.candidate_id]
    assert ids("10000002") == [grace.candidate_id]
    assert ids("ADMIRAL@navy") == [grace.candidate_id]
    assert ids("lovelace") == [ada.candidate_id]
    assert ids("grace  hopper") == [grace.candidate_id]
    assert ids("Hopper Grace") == [grace.candidate_id]
    assert ids("example.com") == [grace.candidate_id, ada.candidate_id]  # by last name
    assert ids("%") == [] and ids("_") == [] and ids("a") == [] and ids(None) == []
