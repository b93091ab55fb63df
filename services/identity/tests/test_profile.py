"""Personal information, email confirmation, linked identities (no broker)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from identity.exceptions import (
    CandidateNotFound,
    CannotUnlinkLastLogin,
    ReauthenticationRequired,
    TooManyAttempts,
    EmailTaken,
    InvalidProfile,
    LinkTokenInvalid,
    NotFound,
)
from identity.handlers import profile
from identity.models import Candidate, ExternalIdentity

from services.identity.tests.support import (
    GOOD_PASSWORD,
    link_token,
    make_candidate,
    unique_email,
)

COMPLETE = {
    "phone": "+1 408 555 0100",
    "address": {"line1": "1 Main St", "city": "San Jose", "region": "CA",
                "postal_code": "95134", "country": "us"},
    "company": "Example Networks",
    "job_title": "Network engineer",
    "preferred_language": "English",
    "netacad_id": "NA-123",
}


@pytest.fixture
def ada(session, outbox, clock):
    candidate = make_candidate(session, outbox, clock)
    outbox.clear()
    return candidate


def update(session, outbox, clock, candidate, changes, **proof):
    """As the gateway sends it for a candidate who logged in a moment ago, unless `proof` says."""
    proof = proof or {"recently_logged_in": True}
    return profile.update_profile(session, outbox, clock, candidate_id=candidate.candidate_id,
                                  changes=changes, **proof)


def unlink(session, outbox, clock, candidate_id, identity_id, **proof):
    proof = proof or {"recently_logged_in": True}
    return profile.unlink_external_identity(session, outbox, clock, candidate_id=candidate_id,
                                            identity_id=identity_id, **proof)


def test_a_complete_profile_is_saved_normalised_and_announced(session, outbox, clock, ada):
    saved = update(session, outbox, clock, ada, COMPLETE)
    assert saved.address.country == "US" and saved.preferred_language == "en"
    assert saved.phone == "+1 408 555 0100" and saved.company == "Example Networks"
    assert saved.pending_email is None and saved.email == ada.email
    [event] = outbox.events_of("candidate_profile_updated")
    assert event.changed == ["address", "company", "job_title", "netacad_id", "phone",
                             "preferred_language"]
    assert event.country == "US" and event.candidate_id == ada.candidate_id


def test_invalid_and_missing_fields_are_named_and_nothing_is_saved(session, outbox, clock, ada):
    with pytest.raises(InvalidProfile) as invalid:
        update(session, outbox, clock, ada, {
            "email": "not an email", "phone": "call me",
            "address": {"line1": "1 Main St", "country": "Atlantis"},
            "preferred_language": "Klingon",
        })
    fields = invalid.value.fields
    assert set(fields) == {"email", "phone", "address.country", "address.city", "preferred_language"}
    assert "valid email" in fields["email"] and fields["address.city"] == "This field is required."
    assert "country" in fields["address.country"].lower()
    assert invalid.value.args == (fields,)  # the gateway reads args[0] / str(exc) as JSON
    assert ada.phone is None and outbox.events == []


@pytest.mark.parametrize("field", ["first_name", "last_name", "candidate_id", "program",
                                   "ccie_number", "ccde_number", "password_hash"])
def test_names_ids_and_numbers_are_not_editable(session, outbox, clock, ada, field):
    with pytest.raises(InvalidProfile) as invalid:
        update(session, outbox, clock, ada, {**COMPLETE, field: "Changed"})
    assert list(invalid.value.fields) == [field]


def test_a_new_email_waits_for_its_confirmation_link(session, outbox, clock, ada):
    update(session, outbox, clock, ada, COMPLETE)
    outbox.clear()
    old_email, new_email = ada.email, unique_email("ada.new")
    pending = update(session, outbox, clock, ada, {"email": new_email.upper()})
    assert (pending.email, pending.pending_email) == (old_email, new_email)
    [mail] = outbox.mails
    assert mail.to == [new_email] and "24 hours" in mail.text
    token = link_token(mail.text, "confirm-email")
    outbox.clear()

    confirmed = profile.confirm_email(session, outbox, clock, token=token)
    assert (confirmed.email, confirmed.pending_email) == (new_email, None)
    [event] = outbox.events_of("candidate_profile_updated")
    assert (event.changed, event.email) == (["email"], new_email)
    assert outbox.mails_to(old_email), "the old address is told of the change"
    with pytest.raises(LinkTokenInvalid, match="used"):
        profile.confirm_email(session, outbox, clock, token=token)


def test_an_email_link_expires_after_a_day(session, outbox, clock, ada):
    update(session, outbox, clock, ada, {**COMPLETE, "email": unique_email()})
    token = link_token(outbox.mails[-1].text, "confirm-email")
    clock.advance(hours=24)
    with pytest.raises(LinkTokenInvalid, match="expired"):
        profile.confirm_email(session, outbox, clock, token=token)


def test_another_candidates_email_is_refused(session, outbox, clock, ada):
    other = make_candidate(session, outbox, clock)
    with pytest.raises(EmailTaken) as taken:
        update(session, outbox, clock, ada, {**COMPLETE, "email": other.email.upper()})
    assert list(taken.value.fields) == ["email"]


def test_an_unknown_candidate_is_not_found(session):
    with pytest.raises(CandidateNotFound) as missing:
        profile.get_profile(session, candidate_id="CSCO99999999")
    assert missing.value.detail == {"candidate_id": "CSCO99999999"}


def _link(session, clock, candidate, subject):
    identity = ExternalIdentity(candidate_id=candidate.candidate_id, issuer="https://sso.example.com",
                                subject=subject, email=None, linked_at=clock())
    session.add(identity)
    session.flush()
    return identity.id


def test_a_candidate_cannot_unlink_another_candidates_identity(session, outbox, clock, ada):
    other = make_candidate(session, outbox, clock)
    theirs = _link(session, clock, other, "theirs")
    with pytest.raises(NotFound) as refused:
        unlink(session, outbox, clock, ada.candidate_id, theirs)
    assert refused.value.detail == {"resource": "external_identity"}
    assert session.get(ExternalIdentity, theirs) is not None
    for nonsense in (None, "x", 10**9):
        with pytest.raises(NotFound):
            unlink(session, outbox, clock, ada.candidate_id, nonsense)


def test_the_last_way_in_cannot_be_unlinked(session, outbox, clock, hasher, ada):
    only = _link(session, clock, ada, "only")
    with pytest.raises(CannotUnlinkLastLogin):
        unlink(session, outbox, clock, ada.candidate_id, only)
    ada.password_hash = hasher.hash(GOOD_PASSWORD)
    before = ada.credential_version
    unlinked = unlink(session, outbox, clock, ada.candidate_id, only)
    assert unlinked.external_identities == []
    assert ada.credential_version == before + 1
    [mail] = outbox.mails_to(ada.email)
    assert "https://sso.example.com" in mail.text and "disconnected" in mail.text


# -- proving it is them again (docs/decisions/0018-account-security.md) -------------
def test_changing_the_email_needs_the_current_password_or_a_recent_login(
        session, outbox, clock, hasher, ada):
    update(session, outbox, clock, ada, COMPLETE)
    ada.password_hash = hasher.hash(GOOD_PASSWORD)
    new_email = unique_email("ada.new")
    with pytest.raises(ReauthenticationRequired) as asked:
        update(session, outbox, clock, ada, {"email": new_email}, recently_logged_in=False)
    assert "current password" in asked.value.fields["current_password"]
    with pytest.raises(ReauthenticationRequired) as wrong:
        update(session, outbox, clock, ada, {"email": new_email}, current_password="not it at all",
               hasher=hasher)
    assert "not your current password" in wrong.value.fields["current_password"]
    assert ada.pending_email is None
    pending = update(session, outbox, clock, ada, {"email": new_email}, current_password=GOOD_PASSWORD,
                     hasher=hasher)
    assert pending.pending_email == new_email
    # Other fields need no proof.
    update(session, outbox, clock, ada, {"job_title": "Architect"}, recently_logged_in=False)


def test_wrong_current_passwords_are_throttled_as_logins(session, outbox, clock, hasher, ada):
    update(session, outbox, clock, ada, COMPLETE)
    ada.password_hash = hasher.hash(GOOD_PASSWORD)
    for _ in range(5):
        with pytest.raises(ReauthenticationRequired):
            profile.change_password(session, outbox, hasher, clock, candidate_id=ada.candidate_id,
                                    new_password="a brand new passphrase", current_password="guess",
                                    client_address="192.0.2.8")
    with pytest.raises(TooManyAttempts):
        profile.change_password(session, outbox, hasher, clock, candidate_id=ada.candidate_id,
                                new_password="a brand new passphrase", current_password=GOOD_PASSWORD,
                                client_address="192.0.2.8")


def test_changing_the_password_ends_other_sessions_and_tells_the_candidate(
        session, outbox, clock, hasher, ada):
    ada.password_hash = hasher.hash(GOOD_PASSWORD)
    before = ada.credential_version
    changed = profile.change_password(session, outbox, hasher, clock, candidate_id=ada.candidate_id,
                                      new_password="a brand new passphrase",
                                      current_password=GOOD_PASSWORD)
    assert changed.credential_version == before + 1
    assert profile.credential_version(session, candidate_id=ada.candidate_id) == before + 1
    assert profile.credential_version(session, candidate_id="CSCO99999999") is None
    [mail] = outbox.mails_to(ada.email)
    assert "password" in mail.subject.lower() and "logged out" in mail.text
    assert hasher.verify(ada.password_hash, "a brand new passphrase")


def test_staff_set_the_ccie_and_ccde_numbers(session, outbox, clock, ada):
    updated = profile.staff_set_attributes(session, outbox, clock, candidate_id=ada.candidate_id,
                                           ccie_number="12345")
    assert (updated.ccie_number, updated.ccde_number) == ("12345", None)
    assert outbox.events_of("candidate_profile_updated")[-1].changed == ["ccie_number"]
    with pytest.raises(InvalidProfile) as invalid:
        profile.staff_set_attributes(session, outbox, clock, candidate_id=ada.candidate_id,
                                     ccde_number="no spaces allowed")
    assert list(invalid.value.fields) == ["ccde_number"]
    cleared = profile.staff_set_attributes(session, outbox, clock, candidate_id=ada.candidate_id,
                                           ccie_number="")
    assert cleared.ccie_number is None
    assert session.execute(select(Candidate.ccie_number)).scalar_one() is None
