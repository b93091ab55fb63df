"""The identity service in a real container: logins, errors as the gateway
sees them, and one candidate never reaching another's data."""
from __future__ import annotations

import re

import pytest
from nameko.exceptions import RemoteError
from sqlalchemy import text

from services.identity.tests.support import (
    GOOD_PASSWORD,
    PDF,
    b64,
    link_token,
    remote_detail,
    smtp_mails_to,
    text_of,
    unique_email,
)


def test_health_answers_with_a_working_database(rpc):
    assert rpc.health() == {"service": "identity", "database": "ok"}


def test_candidate_ids_are_csco_and_8_digits_allocated_in_sequence_under_concurrency(rpc):
    replies = [rpc.staff_create_candidate.call_async(program="cisco", first_name="Ada",
                                                     last_name=f"Number{n}", email=unique_email())
               for n in range(8)]
    ids = sorted(reply.result()["candidate_id"] for reply in replies)
    assert all(re.fullmatch(r"CSCO\d{8}", cid) for cid in ids)
    assert ids == [f"CSCO{10000001 + n}" for n in range(8)]
    assert rpc.staff_create_candidate(program="juniper", first_name="J", last_name="N",
                                      email=unique_email())["candidate_id"] == "JNPR10000001"


def candidate_with_password(rpc, smtp_server, email=None):
    """Staff create a candidate; the candidate sets a password through the mailed link."""
    email = email or unique_email()
    created = rpc.staff_create_candidate(program="cisco", first_name="Ada", last_name="Lovelace",
                                         email=email)
    assert rpc.start_first_time_by_email(email=email) is None
    mails = smtp_mails_to(smtp_server, email, count=2)  # welcome + link
    link_mail = next(m for m in mails if "/first-time/" in text_of(m))
    rpc.complete_first_time(token=link_token(text_of(link_mail), "first-time"),
                            password=GOOD_PASSWORD)
    return created


def test_login_failures_are_indistinguishable_and_the_hash_is_argon2id(rpc, smtp_server, clean_db):
    ada = candidate_with_password(rpc, smtp_server)
    summary = rpc.authenticate(login=ada["candidate_id"], password=GOOD_PASSWORD,
                               client_address="192.0.2.10")
    assert summary["candidate_id"] == ada["candidate_id"] and summary["has_password"] is True
    assert summary["password_changed_at"].endswith("Z") or "+00:00" in summary["password_changed_at"]

    failures = []
    for login, password in ((ada["email"], "wrong password!!"), ("nobody@example.com", GOOD_PASSWORD)):
        with pytest.raises(RemoteError) as failed:
            rpc.authenticate(login=login, password=password, client_address="192.0.2.10")
        failures.append((failed.value.exc_type, failed.value.value))
    assert failures[0] == failures[1] == ("InvalidCredentials", "{}")

    with clean_db.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM candidates")).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_too_many_attempts_tells_the_gateway_when_to_retry(rpc, smtp_server):
    ada = candidate_with_password(rpc, smtp_server)
    for n in range(5):
        with pytest.raises(RemoteError):
            rpc.authenticate(login=ada["email"], password="wrong password!!", client_address=f"192.0.2.{n}")
    with pytest.raises(RemoteError) as blocked:
        rpc.authenticate(login=ada["email"], password=GOOD_PASSWORD, client_address="192.0.2.99")
    assert blocked.value.exc_type == "TooManyAttempts"
    assert 800 < remote_detail(blocked.value)["retry_after_seconds"] <= 900


def test_field_errors_reach_the_gateway_as_a_json_object(rpc, smtp_server):
    ada = rpc.staff_create_candidate(program="cisco", first_name="Ada", last_name="Lovelace",
                                     email=unique_email())
    with pytest.raises(RemoteError) as invalid:
        rpc.update_profile(candidate_id=ada["candidate_id"],
                           changes={"email": "nope", "address": {"country": "XX"}})
    assert invalid.value.exc_type == "InvalidProfile"
    fields = remote_detail(invalid.value)
    assert {"email", "address.country", "phone", "address.line1"} <= set(fields)
    with pytest.raises(RemoteError) as missing:
        rpc.get_profile(candidate_id="CSCO99999999")
    assert (missing.value.exc_type, remote_detail(missing.value)) == (
        "CandidateNotFound", {"candidate_id": "CSCO99999999"})


def test_a_second_candidate_never_reaches_the_firsts_data(rpc, smtp_server, clean_db):
    sso = {"issuer": "https://sso.example.com", "subject": "ada-1", "email": "ada@sso.example.com"}
    first = candidate_with_password(rpc, smtp_server)
    rpc.link_external_identity(candidate_id=first["candidate_id"], external_identity=sso)
    second = rpc.staff_create_candidate(program="cisco", first_name="Mallory", last_name="Evil",
                                        email=unique_email("mallory"))
    first_profile = rpc.get_profile(candidate_id=first["candidate_id"])
    [identity] = first_profile["external_identities"]
    assert identity["subject"] == "ada-1"
    ticket = rpc.open_name_change_ticket(
        candidate_id=first["candidate_id"], first_name="Ada", last_name="King", reason="Marriage",
        document={"filename": "id.pdf", "data_b64": b64(PDF)})

    # Every candidate method keyed by the session's candidate ID, tried with the other's data.
    with pytest.raises(RemoteError) as unlink:
        rpc.unlink_external_identity(candidate_id=second["candidate_id"], identity_id=identity["id"],
                                     recently_logged_in=True)
    assert unlink.value.exc_type == "NotFound"
    assert rpc.list_tickets(candidate_id=second["candidate_id"]) == []
    with pytest.raises(RemoteError) as steal_sso:
        rpc.link_external_identity(candidate_id=second["candidate_id"], external_identity=sso)
    assert steal_sso.value.exc_type == "ExternalIdentityTaken"
    with pytest.raises(RemoteError) as steal_email:
        rpc.update_profile(candidate_id=second["candidate_id"], recently_logged_in=True, changes={
            "email": first["email"], "phone": "+1 408 555 0100",
            "address": {"line1": "1 Main St", "city": "San Jose", "country": "US"},
            "preferred_language": "en"})
    assert steal_email.value.exc_type == "EmailTaken"
    theirs = rpc.get_profile(candidate_id=second["candidate_id"])
    assert theirs["external_identities"] == [] and theirs["email"] != first["email"]

    assert rpc.get_profile(candidate_id=first["candidate_id"]) == first_profile
    assert [t["id"] for t in rpc.list_tickets(candidate_id=first["candidate_id"])] == [ticket["id"]]
    assert rpc.find_by_external_identity(issuer=sso["issuer"], subject="ada-1")["candidate_id"] == \
        first["candidate_id"]
