"""First-time login, link tokens, forgotten password and ID (no broker)."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from identity.exceptions import (
    EmailBelongsToAnotherCandidate,
    ExternalIdentityTaken,
    InvalidProfile,
    LinkTokenInvalid,
    ScoreReportNotMatched,
    TooManyAttempts,
    WeakPassword,
)
from identity.handlers import first_time, recovery
from identity.handlers.common import set_password
from identity.handlers.login import authenticate, find_by_external_identity
from identity.models import Candidate, LinkToken, MailRequest

from services.identity.tests.support import (
    GOOD_PASSWORD,
    link_token,
    make_candidate,
    report,
    unique_email,
)

SSO = {"issuer": "https://sso.example.com", "subject": "user-42", "email": "ada@sso.example.com"}


@pytest.fixture
def ada(session, outbox, clock):
    candidate = make_candidate(session, outbox, clock)
    outbox.clear()
    return candidate


def start(session, outbox, clock, email, **kwargs):
    return first_time.start_first_time_by_email(session, outbox, clock, email=email, **kwargs)


def mailed_token(outbox, address, path="first-time"):
    mail = outbox.mails_to(address)[-1]
    token = link_token(mail.text, path)
    assert f"/{path}/{token}" in mail.html
    return token


def complete(session, outbox, hasher, clock, token, password=GOOD_PASSWORD):
    return first_time.complete_first_time(session, outbox, hasher, clock, token=token,
                                          password=password)


def test_a_known_email_gets_a_single_use_link_valid_six_hours(session, outbox, clock, hasher, ada):
    assert start(session, outbox, clock, ada.email.upper()) is None
    [mail] = outbox.mails
    assert mail.to == [ada.email]
    assert "6 hours" in mail.text and "password" in mail.subject.lower()
    token = mailed_token(outbox, ada.email)
    assert len(token) >= 43  # 256 bits, URL-safe base64
    # Only the SHA-256 is stored.
    stored = session.execute(select(LinkToken)).scalar_one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr([getattr(stored, c.key) for c in LinkToken.__table__.columns])

    completed = complete(session, outbox, hasher, clock, token)
    assert completed.candidate_id == ada.candidate_id and completed.has_password
    assert completed.password_changed_at == clock.now and completed.credential_version == 1
    assert authenticate(session, hasher, clock, login=ada.email, password=GOOD_PASSWORD,
                        client_address="192.0.2.1").candidate_id == ada.candidate_id
    with pytest.raises(LinkTokenInvalid) as again:
        complete(session, outbox, hasher, clock, token)
    assert again.value.reason == "used" and again.value.detail == {"reason": "used"}


def test_a_juniper_candidate_gets_a_link_too_and_one_email_in_two_programs_gets_one_each(
        session, outbox, clock, hasher):
    # The site and the API never name a program: a person does not know which record they have.
    shared = "kim@example.com"
    juniper = make_candidate(session, outbox, clock, program="juniper", first_name="Kim", email=shared)
    cisco = make_candidate(session, outbox, clock, program="cisco", first_name="Kim", email=shared)
    only_juniper = make_candidate(session, outbox, clock, program="juniper", first_name="Lee")
    outbox.clear()

    start(session, outbox, clock, shared)
    start(session, outbox, clock, only_juniper.email)

    mailed = {mail.to[0]: [] for mail in outbox.mails}
    for mail in outbox.mails:
        mailed[mail.to[0]].append(mail.text)
    assert len(mailed[shared]) == 2 and len(mailed[only_juniper.email]) == 1
    assert any(juniper.candidate_id in text for text in mailed[shared])
    assert any(cisco.candidate_id in text for text in mailed[shared])
    token = mailed_token(outbox, only_juniper.email)
    assert complete(session, outbox, hasher, clock, token).candidate_id == only_juniper.candidate_id


def test_an_unknown_email_answers_the_same_and_mails_nobody(session, outbox, clock, ada):
    known = start(session, outbox, clock, ada.email)
    unknown = start(session, outbox, clock, "nobody@example.com")
    invalid = start(session, outbox, clock, "not an email")
    assert known is unknown is invalid is None
    assert [mail.to for mail in outbox.mails] == [[ada.email]]
    # Both requests took the same path through the mail quota.
    addresses = session.execute(select(MailRequest.address).order_by(MailRequest.id)).scalars().all()
    assert addresses == [ada.email, "nobody@example.com"]


def test_the_link_expires_after_six_hours(session, outbox, clock, hasher, ada):
    start(session, outbox, clock, ada.email)
    token = mailed_token(outbox, ada.email)
    clock.advance(hours=5, minutes=59)
    assert first_time.inspect_link_token(session, clock, token=token, purpose="first_time").valid
    clock.advance(minutes=1)
    info = first_time.inspect_link_token(session, clock, token=token, purpose="first_time")
    assert info.model_dump() == {"valid": False, "reason": "expired", "candidate_id": None,
                                 "first_name": None}
    with pytest.raises(LinkTokenInvalid) as expired:
        complete(session, outbox, hasher, clock, token)
    assert expired.value.reason == "expired"


def test_inspecting_tells_who_only_for_a_usable_link(session, outbox, clock, ada):
    start(session, outbox, clock, ada.email)
    token = mailed_token(outbox, ada.email)
    info = first_time.inspect_link_token(session, clock, token=token, purpose="first_time")
    assert (info.valid, info.candidate_id, info.first_name) == (True, ada.candidate_id, "Ada")
    for wrong in ("x" * 43, "", None, token + "x"):
        info = first_time.inspect_link_token(session, clock, token=wrong, purpose="first_time")
        assert (info.valid, info.reason, info.candidate_id) == (False, "unknown", None)
    # A first-time token is not a reset token.
    assert first_time.inspect_link_token(session, clock, token=token, purpose="password_reset").reason == "unknown"


def test_using_one_link_spends_the_older_ones_too(session, outbox, clock, hasher, ada):
    start(session, outbox, clock, ada.email)
    older = mailed_token(outbox, ada.email)
    start(session, outbox, clock, ada.email)
    newer = mailed_token(outbox, ada.email)
    assert older != newer
    complete(session, outbox, hasher, clock, newer)
    with pytest.raises(LinkTokenInvalid, match="used"):
        complete(session, outbox, hasher, clock, older)


def test_a_weak_password_leaves_the_link_usable(session, outbox, clock, hasher, ada):
    start(session, outbox, clock, ada.email)
    token = mailed_token(outbox, ada.email)
    with pytest.raises(WeakPassword):
        complete(session, outbox, hasher, clock, token, password="too short")
    with pytest.raises(WeakPassword):
        complete(session, outbox, hasher, clock, token, password=f"xx{ada.candidate_id}xx")
    assert complete(session, outbox, hasher, clock, token).has_password


def test_a_first_time_link_maps_no_sso_identity(session, outbox, clock, hasher, ada):
    """The planting attack: a link never carries who asked for it; linking is the
    gateway's, for the browser that proved both sides (`link_external_identity`)."""
    start(session, outbox, clock, ada.email)
    complete(session, outbox, hasher, clock, mailed_token(outbox, ada.email))
    assert outbox.events_of("external_identity_linked") == []
    assert find_by_external_identity(session, issuer=SSO["issuer"], subject=SSO["subject"]) is None


def test_linking_an_sso_identity_mails_the_candidate_and_moves_the_credentials_on(
        session, outbox, clock, ada):
    before = ada.credential_version
    linked = first_time.link_external_identity(session, outbox, clock, candidate_id=ada.candidate_id,
                                               external_identity=SSO)
    assert [i.issuer for i in linked.external_identities] == [SSO["issuer"]]
    [event] = outbox.events_of("external_identity_linked")
    assert (event.candidate_id, event.subject) == (ada.candidate_id, "user-42")
    [mail] = outbox.mails_to(ada.email)
    assert SSO["issuer"] in mail.text and SSO["email"] in mail.text
    assert session.get(Candidate, ada.candidate_id).credential_version == before + 1
    other = make_candidate(session, outbox, clock)
    with pytest.raises(ExternalIdentityTaken):
        first_time.link_external_identity(session, outbox, clock, candidate_id=other.candidate_id,
                                          external_identity=SSO)


def test_a_record_with_a_password_gets_the_reset_link_not_a_first_time_link(
        session, outbox, clock, hasher, ada):
    start(session, outbox, clock, ada.email)
    first = mailed_token(outbox, ada.email)
    complete(session, outbox, hasher, clock, first)
    outbox.clear()
    clock.advance(hours=1, seconds=1)  # past the mail quota's hour
    start(session, outbox, clock, ada.email)
    [mail] = outbox.mails_to(ada.email)
    assert "/reset-password/" in mail.text and "/first-time/" not in mail.text


def test_a_first_time_link_of_a_record_that_got_a_password_since_counts_as_used(
        session, outbox, clock, hasher, ada):
    start(session, outbox, clock, ada.email)
    older = mailed_token(outbox, ada.email)
    # The password is set some other way (a reset) before the link is followed.
    set_password(ada, hasher, GOOD_PASSWORD, clock())
    info = first_time.inspect_link_token(session, clock, token=older, purpose="first_time")
    assert (info.valid, info.reason) == (False, "used")
    with pytest.raises(LinkTokenInvalid, match="used"):
        complete(session, outbox, hasher, clock, older, password="another-good-passphrase-9")
    assert authenticate(session, hasher, clock, login=ada.email, password=GOOD_PASSWORD,
                        client_address="192.0.2.1").candidate_id == ada.candidate_id


def test_at_most_three_mails_per_address_per_hour(session, outbox, clock, ada):
    for _ in range(5):
        start(session, outbox, clock, ada.email)
        recovery.request_password_reset(session, outbox, clock, login=ada.email)
    assert len(outbox.mails) == 3
    clock.advance(hours=1, seconds=1)
    recovery.remind_candidate_id(session, outbox, clock, email=ada.email)
    assert len(outbox.mails) == 4


# -- by score report ----------------------------------------------------------
@pytest.fixture
def reported(session, outbox, clock):
    outcome = report(session, outbox, clock, registration_number="460123456",
                     email=unique_email("old"), last_name="Doe")
    session.commit()  # tests roll back as the worker does after an error
    outbox.clear()
    return session.get(Candidate, outcome["candidate_id"])


def by_score_report(session, outbox, clock, new_email, last_name="doe", number=" 460123456 ",
                    address="192.0.2.1"):
    return first_time.start_first_time_by_score_report(
        session, outbox, clock, last_name=last_name, registration_number=number, new_email=new_email,
        client_address=address)


def test_a_score_report_match_moves_the_email_and_mails_the_link_there(session, outbox, clock, hasher, reported):
    old_email, new_email = reported.email, unique_email("john.doe")
    answer = by_score_report(session, outbox, clock, new_email.upper())
    local = new_email.split("@")[0]
    assert answer.sent_to == f"{local[0]}{'*' * (len(local) - 2)}{local[-1]}@example.com"
    assert reported.email == new_email
    [updated] = outbox.events_of("candidate_profile_updated")
    assert (updated.changed, updated.email) == (["email"], new_email)
    [notice] = outbox.mails_to(old_email)
    assert new_email not in notice.text  # only masked
    token = mailed_token(outbox, new_email)
    assert complete(session, outbox, hasher, clock, token).email == new_email


def test_a_score_report_never_takes_over_a_record_that_has_a_password(
        session, outbox, clock, hasher, reported):
    """The takeover: last name + registration number + the attacker's address
    used to move the record's email there and mail the attacker a set-password link."""
    set_password(reported, hasher, GOOD_PASSWORD, clock())
    session.commit()
    owner_email, attacker = reported.email, unique_email("mallory")

    answer = by_score_report(session, outbox, clock, attacker)

    assert answer.sent_to.endswith("@example.com")  # answered as for any record: no enumeration
    assert session.get(Candidate, reported.candidate_id).email == owner_email
    assert outbox.events_of("candidate_profile_updated") == []
    [told] = outbox.mails_to(attacker)
    assert "support ticket" in told.text and "/first-time/" not in told.text
    assert "/reset-password/" not in told.text and reported.first_name not in told.text
    [notice] = outbox.mails_to(owner_email)
    assert attacker not in notice.text and "Nothing changed" in notice.text
    assert authenticate(session, hasher, clock, login=owner_email, password=GOOD_PASSWORD,
                        client_address="192.0.2.1").candidate_id == reported.candidate_id


def test_a_score_report_matches_identitys_last_name_not_a_later_vendor_messages(
        session, outbox, clock, reported):
    # Any vendor key holder can report the candidate again under a name of their choosing.
    report(session, outbox, clock, registration_number="460999999", candidate_id=reported.candidate_id,
           email=reported.email, last_name="Mallory")
    session.commit()
    outbox.clear()
    with pytest.raises(ScoreReportNotMatched):
        by_score_report(session, outbox, clock, unique_email(), last_name="Mallory", number="460999999")
    session.rollback()
    assert by_score_report(session, outbox, clock, unique_email(), last_name="Doe",
                           number="460999999").sent_to


def test_a_score_report_with_another_candidates_email_changes_nothing(session, outbox, clock, reported):
    other = make_candidate(session, outbox, clock)
    session.commit()
    outbox.clear()
    old_email = reported.email
    with pytest.raises(EmailBelongsToAnotherCandidate) as refused:
        by_score_report(session, outbox, clock, other.email)
    assert "support ticket" in refused.value.fields["new_email"]
    session.rollback()  # what the worker does with a raised error
    assert session.get(Candidate, reported.candidate_id).email == old_email
    assert outbox.events == [] and outbox.mails == []


@pytest.mark.parametrize("last_name, number", [("Smith", "460123456"), ("Doe", "460123457"), ("", "")])
def test_a_score_report_must_match_name_and_number(session, outbox, clock, reported, last_name, number):
    with pytest.raises(ScoreReportNotMatched):
        by_score_report(session, outbox, clock, unique_email(), last_name=last_name, number=number)


def test_a_score_report_needs_a_valid_new_email(session, outbox, clock, reported):
    with pytest.raises(InvalidProfile) as invalid:
        by_score_report(session, outbox, clock, "not-an-email")
    assert list(invalid.value.fields) == ["new_email"]


def guess(session, outbox, clock, last_name="Smith", number="460123456", address="192.0.2.1"):
    """One wrong score report, rolled back as the worker rolls back a raised error."""
    with pytest.raises(ScoreReportNotMatched):
        by_score_report(session, outbox, clock, unique_email(), last_name=last_name, number=number,
                        address=address)
    session.rollback()


def test_five_wrong_names_for_one_registration_number_lock_it_for_an_hour(session, outbox, clock, reported):
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"):
        guess(session, outbox, clock, number="460123456", address=address)
    # Even the right name, from yet another address, waits: the number is locked.
    with pytest.raises(TooManyAttempts) as locked:
        by_score_report(session, outbox, clock, unique_email(), address="198.51.100.7")
    assert 0 < locked.value.retry_after_seconds <= 3600
    session.rollback()
    assert outbox.mails == [] and outbox.events == []
    # Another registration number is not affected.
    with pytest.raises(ScoreReportNotMatched):
        by_score_report(session, outbox, clock, unique_email(), number="460000000", address="198.51.100.7")
    session.rollback()
    clock.advance(hours=1, seconds=1)
    assert by_score_report(session, outbox, clock, unique_email(), address="198.51.100.7").sent_to


def test_ten_wrong_score_reports_from_one_address_block_that_address_only(session, outbox, clock, reported):
    for number in range(460000000, 460000010):
        guess(session, outbox, clock, number=str(number), address="203.0.113.9")
    with pytest.raises(TooManyAttempts):
        by_score_report(session, outbox, clock, unique_email(), address="203.0.113.9")
    session.rollback()
    assert by_score_report(session, outbox, clock, unique_email(), address="192.0.2.77").sent_to


def test_the_number_is_locked_whatever_its_case_or_spacing(session, outbox, clock, reported):
    for number in ("abc123", " ABC123", "Abc123 ", "aBc123", "ABC123"):
        guess(session, outbox, clock, number=number, address=number)
    with pytest.raises(TooManyAttempts):
        by_score_report(session, outbox, clock, unique_email(), number="abc123", address="192.0.2.200")


def test_a_match_forgets_the_numbers_earlier_mistakes(session, outbox, clock, reported):
    for _ in range(4):
        guess(session, outbox, clock, address="192.0.2.10")
    assert by_score_report(session, outbox, clock, unique_email(), address="192.0.2.10").sent_to
    session.commit()
    for _ in range(4):
        guess(session, outbox, clock, address="192.0.2.11")
    assert by_score_report(session, outbox, clock, unique_email(), address="192.0.2.11").sent_to


def test_an_invalid_new_email_is_no_guess(session, outbox, clock, reported):
    for _ in range(6):
        with pytest.raises(InvalidProfile):
            by_score_report(session, outbox, clock, "not-an-email", last_name="Smith")
        session.rollback()
    assert by_score_report(session, outbox, clock, unique_email()).sent_to


# -- forgotten password and candidate ID -------------------------------------
def test_forgot_password_answers_the_same_and_resets_once(session, outbox, clock, hasher, ada):
    assert recovery.request_password_reset(session, outbox, clock, login="nobody@example.com") is None
    assert outbox.mails == []
    assert recovery.request_password_reset(session, outbox, clock, login=ada.candidate_id) is None
    token = mailed_token(outbox, ada.email, "reset-password")
    assert "1 hour" in outbox.mails[-1].text
    summary = recovery.reset_password(session, hasher, clock, token=token, password=GOOD_PASSWORD)
    assert summary.has_password and summary.password_changed_at == clock.now
    with pytest.raises(LinkTokenInvalid, match="used"):
        recovery.reset_password(session, hasher, clock, token=token, password=GOOD_PASSWORD)


def test_a_reset_link_expires_after_an_hour(session, outbox, clock, hasher, ada):
    recovery.request_password_reset(session, outbox, clock, login=ada.email)
    token = mailed_token(outbox, ada.email, "reset-password")
    clock.advance(hours=1)
    with pytest.raises(LinkTokenInvalid, match="expired"):
        recovery.reset_password(session, hasher, clock, token=token, password=GOOD_PASSWORD)


def test_forgot_candidate_id_mails_the_address_on_file_only(session, outbox, clock, ada):
    assert recovery.remind_candidate_id(session, outbox, clock, email="nobody@example.com") is None
    assert recovery.remind_candidate_id(session, outbox, clock, email=ada.email) is None
    [mail] = outbox.mails
    assert mail.to == [ada.email] and ada.candidate_id in mail.text and ada.candidate_id in mail.html
