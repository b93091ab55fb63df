"""First-time login and recovery through the real service, broker and SMTP server."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import replace_dependencies

from identity.service import IdentityService

from services.identity.tests.support import (
    GOOD_PASSWORD,
    FakeClock,
    html_of,
    link_token,
    remote_detail,
    smtp_mails_to,
    text_of,
    unique_email,
)


def create(rpc, email, last_name="Lovelace"):
    return rpc.staff_create_candidate(program="cisco", first_name="Ada", last_name=last_name,
                                      email=email)


def mail_with(smtp_server, address, path, count):
    mails = smtp_mails_to(smtp_server, address, count=count)
    found = [m for m in mails if f"/{path}/" in text_of(m)]
    assert found, f"no mail with a /{path}/ link to {address}"
    return found[-1]


def test_first_time_by_email_mails_a_link_that_works_once(rpc, smtp_server):
    email = unique_email("first")
    ada = create(rpc, email)
    [welcome] = smtp_mails_to(smtp_server, email)
    assert "/first-time" in text_of(welcome) and ada["candidate_id"] in text_of(welcome)

    assert rpc.start_first_time_by_email(email=email.upper(), program="cisco") is None
    mail = mail_with(smtp_server, email, "first-time", count=2)
    token = link_token(text_of(mail), "first-time")
    assert f"/first-time/{token}" in html_of(mail)
    assert "6 hours" in text_of(mail)

    info = rpc.inspect_link_token(token=token, purpose="first_time")
    assert info == {"valid": True, "reason": None, "candidate_id": ada["candidate_id"],
                    "first_name": "Ada"}
    done = rpc.complete_first_time(token=token, password=GOOD_PASSWORD)
    assert done["candidate_id"] == ada["candidate_id"] and done["credential_version"] == 1
    with pytest.raises(RemoteError) as again:
        rpc.complete_first_time(token=token, password=GOOD_PASSWORD)
    assert (again.value.exc_type, remote_detail(again.value)) == ("LinkTokenInvalid", {"reason": "used"})
    assert rpc.authenticate(login=email, password=GOOD_PASSWORD, client_address="192.0.2.5")[
        "candidate_id"] == ada["candidate_id"]


def test_an_unknown_email_gets_the_same_answer_and_no_mail(rpc, smtp_server):
    known = unique_email("known")
    create(rpc, known)
    unknown = unique_email("unknown")
    answers = [rpc.start_first_time_by_email(email=known), rpc.start_first_time_by_email(email=unknown),
               rpc.request_password_reset(login=known), rpc.request_password_reset(login=unknown),
               rpc.remind_candidate_id(email=known), rpc.remind_candidate_id(email=unknown)]
    assert answers == [None] * 6
    mails = smtp_mails_to(smtp_server, known, count=4)  # welcome, link, reset, reminder
    subjects = sorted(str(m["Subject"]) for m in mails)
    assert subjects == sorted(["Your CertTrack account is ready, Ada", "Choose your CertTrack password",
                               "Reset your CertTrack password", "Your CertTrack candidate ID"])
    time.sleep(1.0)  # the relay sent the known address's mails; nothing went to the other
    assert [m for m in smtp_server.messages() if unknown in str(m["To"])] == []


def test_an_expired_first_time_link_is_refused_as_expired(container_factory, identity_config,
                                                         clean_db, amqp_uri, smtp_server):
    clock = FakeClock()
    container = container_factory(IdentityService, identity_config)
    replace_dependencies(container, clock=clock)
    container.start()
    email = unique_email("late")
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=20) as proxy:
        create(proxy.identity, email)
        proxy.identity.start_first_time_by_email(email=email)
        token = link_token(text_of(mail_with(smtp_server, email, "first-time", count=2)), "first-time")
        clock.now += timedelta(hours=6, seconds=1)
        assert proxy.identity.inspect_link_token(token=token, purpose="first_time")["reason"] == "expired"
        with pytest.raises(RemoteError) as expired:
            proxy.identity.complete_first_time(token=token, password=GOOD_PASSWORD)
    assert (expired.value.exc_type, remote_detail(expired.value)) == (
        "LinkTokenInvalid", {"reason": "expired"})


def test_a_score_report_moves_the_email_and_mails_the_link_there(rpc, smtp_server, amqp_uri):
    from tests.harness.messages import publish_raw

    from services.identity.tests.support import reported

    old_email, new_email = unique_email("old"), unique_email("new")
    body = reported("460999001", email=old_email, last_name="Doe")
    publish_raw(amqp_uri, "exams.events", "candidate_reported", body, body["event_id"])
    smtp_mails_to(smtp_server, old_email)  # the welcome mail: the candidate exists

    answer = rpc.start_first_time_by_score_report(last_name="DOE", registration_number="460999001",
                                                  new_email=new_email)
    assert answer["sent_to"].endswith("@example.com") and "*" in answer["sent_to"]
    token = link_token(text_of(mail_with(smtp_server, new_email, "first-time", count=1)), "first-time")
    done = rpc.complete_first_time(token=token, password=GOOD_PASSWORD)
    assert done["email"] == new_email
    smtp_mails_to(smtp_server, old_email, count=2)  # welcome, then told of the change

    with pytest.raises(RemoteError) as unmatched:
        rpc.start_first_time_by_score_report(last_name="Smith", registration_number="460999001",
                                             new_email=unique_email())
    assert unmatched.value.exc_type == "ScoreReportNotMatched"


def test_another_candidates_email_in_a_score_report_changes_nothing(rpc, smtp_server, amqp_uri):
    from tests.harness.messages import publish_raw

    from services.identity.tests.support import reported

    mine, theirs = unique_email("mine"), unique_email("theirs")
    create(rpc, theirs)
    body = reported("460999002", email=mine, last_name="Doe")
    publish_raw(amqp_uri, "exams.events", "candidate_reported", body, body["event_id"])
    smtp_mails_to(smtp_server, mine)
    [me] = rpc.staff_search_candidates(query=mine)
    with pytest.raises(RemoteError) as refused:
        rpc.start_first_time_by_score_report(last_name="Doe", registration_number="460999002",
                                             new_email=theirs)
    assert refused.value.exc_type == "EmailBelongsToAnotherCandidate"
    assert "support ticket" in remote_detail(refused.value)["new_email"]
    assert rpc.get_profile(candidate_id=me["candidate_id"])["email"] == mine
    time.sleep(0.5)
    assert len(smtp_mails_to(smtp_server, theirs)) == 1  # only their own welcome


def test_guessing_score_reports_from_one_address_is_refused_with_a_retry_time(rpc):
    # The failures commit although each guess's worker rolls back.
    for number in range(460990000, 460990010):
        with pytest.raises(RemoteError) as unmatched:
            rpc.start_first_time_by_score_report(
                last_name="Doe", registration_number=str(number), new_email=unique_email(),
                client_address="203.0.113.50")
        assert unmatched.value.exc_type == "ScoreReportNotMatched"
    with pytest.raises(RemoteError) as refused:
        rpc.start_first_time_by_score_report(
            last_name="Doe", registration_number="460990011", new_email=unique_email(),
            client_address="203.0.113.50")
    assert refused.value.exc_type == "TooManyAttempts"
    assert 0 < remote_detail(refused.value)["retry_after_seconds"] <= 3600
    with pytest.raises(RemoteError) as elsewhere:
        rpc.start_first_time_by_score_report(
            last_name="Doe", registration_number="460990011", new_email=unique_email(),
            client_address="203.0.113.51")
    assert elsewhere.value.exc_type == "ScoreReportNotMatched"


def test_forgot_password_resets_through_the_mailed_link_once(rpc, smtp_server):
    email = unique_email("forgetful")
    ada = create(rpc, email)
    rpc.request_password_reset(login=ada["candidate_id"])
    token = link_token(text_of(mail_with(smtp_server, email, "reset-password", count=2)), "reset-password")
    summary = rpc.reset_password(token=token, password=GOOD_PASSWORD)
    assert summary["has_password"] is True
    with pytest.raises(RemoteError) as again:
        rpc.reset_password(token=token, password=GOOD_PASSWORD)
    assert remote_detail(again.value) == {"reason": "used"}
