"""The staff second factor, live staff accounts and the staff audit (no broker;
one test through the real service)."""
from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from identity.exceptions import InvalidCredentials, InvalidProfile, NotAuthorized, TooManyAttempts
from identity.handlers import second_factor, staff, staff_accounts, staff_audit
from identity.models import StaffRecoveryCode

from services.identity.tests.support import GOOD_PASSWORD


def _staff(session, hasher, clock, email="lead@certtrack.example.com", role="admin"):
    return staff.staff_create(session, hasher, clock, email=email, name="Lead", role=role,
                              password=GOOD_PASSWORD)


def _enrolled(session, hasher, clock, **kwargs):
    """A staff member with a confirmed second factor: (summary, secret, recovery codes)."""
    member = _staff(session, hasher, clock, **kwargs)
    offer = second_factor.start_enrolment(session, staff_id=member.id)
    done = second_factor.confirm_enrolment(session, clock, staff_id=member.id,
                                           code=pyotp.TOTP(offer.secret).at(clock()))
    return done.staff, offer.secret, done.recovery_codes


def _code(secret, clock, steps=0):
    return pyotp.TOTP(secret).at(clock(), counter_offset=steps)


def test_enrolment_offers_a_secret_that_counts_only_once_a_code_confirms_it(session, hasher, clock):
    member = _staff(session, hasher, clock)
    assert member.second_factor_enrolled is False
    offer = second_factor.start_enrolment(session, staff_id=member.id)
    assert offer.provisioning_uri.startswith("otpauth://totp/") and offer.secret in offer.provisioning_uri
    assert len(offer.secret) == 32
    with pytest.raises(NotAuthorized):  # nothing to verify against before enrolment
        second_factor.verify(session, clock, staff_id=member.id, code=_code(offer.secret, clock))
    with pytest.raises(InvalidCredentials):
        second_factor.confirm_enrolment(session, clock, staff_id=member.id, code="000000")
    # A new offer replaces the one before: a secret seen by someone with only the password is dead.
    again = second_factor.start_enrolment(session, staff_id=member.id)
    assert again.secret != offer.secret
    with pytest.raises(InvalidCredentials):
        second_factor.confirm_enrolment(session, clock, staff_id=member.id, code=_code(offer.secret, clock))
    done = second_factor.confirm_enrolment(session, clock, staff_id=member.id, code=_code(again.secret, clock))
    assert done.staff.second_factor_enrolled is True
    assert len(done.recovery_codes) == second_factor.RECOVERY_CODES == len(set(done.recovery_codes))
    # Kept hashed only.
    kept = session.execute(select(StaffRecoveryCode.code_hash)).scalars().all()
    assert len(kept) == 10 and not set(kept) & {code.replace("-", "") for code in done.recovery_codes}
    # Enrolled once: no second enrolment behind the owner's back.
    with pytest.raises(NotAuthorized):
        second_factor.start_enrolment(session, staff_id=member.id)


def test_a_code_is_accepted_once_and_only_near_its_time(session, hasher, clock):
    member, secret, _ = _enrolled(session, hasher, clock)
    # The enrolment's code is used up; so is a step before it.
    for used in (_code(secret, clock), _code(secret, clock, -1)):
        with pytest.raises(InvalidCredentials):
            second_factor.verify(session, clock, staff_id=member.id, code=used)
    clock.advance(seconds=30)
    fresh = _code(secret, clock)
    assert second_factor.verify(session, clock, staff_id=member.id, code=f" {fresh[:3]} {fresh[3:]} ") == member
    with pytest.raises(InvalidCredentials):  # replayed within its window
        second_factor.verify(session, clock, staff_id=member.id, code=fresh)
    # One step of drift either way, never more.
    clock.advance(minutes=5)
    with pytest.raises(InvalidCredentials):
        second_factor.verify(session, clock, staff_id=member.id, code=_code(secret, clock, 2))
    assert second_factor.verify(session, clock, staff_id=member.id, code=_code(secret, clock, 1)) == member
    with pytest.raises(InvalidCredentials):  # the step before the last accepted one is past
        second_factor.verify(session, clock, staff_id=member.id, code=_code(secret, clock))


def test_each_recovery_code_works_once(session, hasher, clock):
    member, _, codes = _enrolled(session, hasher, clock)
    assert second_factor.verify(session, clock, staff_id=member.id, code=codes[0].upper()) == member
    with pytest.raises(InvalidCredentials):
        second_factor.verify(session, clock, staff_id=member.id, code=codes[0])
    assert second_factor.verify(session, clock, staff_id=member.id, code=codes[1].replace("-", "")) == member
    [account] = staff_accounts.list_accounts(session)
    assert account.recovery_codes_left == 8


def test_wrong_codes_are_limited_like_passwords_and_a_right_password_forgives_nothing(session, hasher, clock):
    member, secret, _ = _enrolled(session, hasher, clock)
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            second_factor.verify(session, clock, staff_id=member.id, code="123456", client_address="192.0.2.9")
        staff.staff_authenticate(session, hasher, clock, email=member.email, password=GOOD_PASSWORD,
                                 client_address="192.0.2.9")
    clock.advance(seconds=30)
    with pytest.raises(TooManyAttempts):  # even the right code waits
        second_factor.verify(session, clock, staff_id=member.id, code=_code(secret, clock))
    clock.advance(minutes=15)
    assert second_factor.verify(session, clock, staff_id=member.id, code=_code(secret, clock)) == member


def test_deactivated_staff_are_gone_at_once_and_cannot_use_a_code(session, hasher, clock):
    admin, _, _ = _enrolled(session, hasher, clock)
    other, secret, _ = _enrolled(session, hasher, clock, email="sam@certtrack.example.com", role="support")
    assert staff_accounts.current(session, staff_id=other.id).role == "support"
    promoted = staff_accounts.update_account(session, staff_id=other.id, acting_staff_id=admin.id, role="admin")
    assert promoted.role == "admin" and staff_accounts.current(session, staff_id=other.id).role == "admin"
    staff_accounts.update_account(session, staff_id=other.id, acting_staff_id=admin.id, active=False)
    assert staff_accounts.current(session, staff_id=other.id) is None
    clock.advance(seconds=30)
    with pytest.raises(NotAuthorized):
        second_factor.verify(session, clock, staff_id=other.id, code=_code(secret, clock))
    with pytest.raises(InvalidCredentials):
        staff.staff_authenticate(session, hasher, clock, email=other.email, password=GOOD_PASSWORD,
                                 client_address=None)
    # A deactivated admin changes nothing; nobody changes their own account; roles are checked.
    with pytest.raises(NotAuthorized):
        staff_accounts.update_account(session, staff_id=admin.id, acting_staff_id=other.id, active=False)
    with pytest.raises(NotAuthorized):
        staff_accounts.update_account(session, staff_id=admin.id, acting_staff_id=admin.id, active=False)
    with pytest.raises(InvalidProfile):
        staff_accounts.update_account(session, staff_id=other.id, acting_staff_id=admin.id, role="boss")
    assert staff_accounts.current(session, staff_id="not a number") is None


def test_a_reset_second_factor_is_enrolled_again_at_the_next_login(session, hasher, clock):
    admin, _, _ = _enrolled(session, hasher, clock)
    other, secret, _ = _enrolled(session, hasher, clock, email="sam@certtrack.example.com", role="support")
    reset = staff_accounts.reset_second_factor(session, staff_id=other.id, acting_staff_id=admin.id)
    assert reset.second_factor_enrolled is False and reset.recovery_codes_left == 0
    clock.advance(seconds=30)
    with pytest.raises(NotAuthorized):
        second_factor.verify(session, clock, staff_id=other.id, code=_code(secret, clock))
    assert second_factor.start_enrolment(session, staff_id=other.id).secret != secret


def test_the_audit_keeps_who_what_and_when_newest_first_with_filters(session, hasher, clock):
    admin = _staff(session, hasher, clock)
    support = _staff(session, hasher, clock, email="sam@certtrack.example.com", role="support")
    staff_audit.record(session, clock, staff_id=support.id, area="candidates", action="set_attributes",
                       target="candidate CSCO10000001", details={"ccie_number": "12345"},
                       client_address="192.0.2.1")
    clock.advance(days=2)
    staff_audit.record(session, clock, staff_id=admin.id, area="vendor_keys", action="create_vendor_key",
                       target="", details={"note": "x" * 1000, **{f"k{i}": i for i in range(40)}})
    everything = staff_audit.list_entries(session)
    assert [entry.action for entry in everything.entries] == ["create_vendor_key", "set_attributes"]
    latest, first = everything.entries
    assert len(latest.details) == staff_audit.MAX_DETAILS and len(latest.details["note"]) == staff_audit.MAX_VALUE
    assert (first.staff_email, first.target, first.details) == (
        "sam@certtrack.example.com", "candidate CSCO10000001", {"ccie_number": "12345"})
    assert everything.areas == {"candidates": ["set_attributes"], "vendor_keys": ["create_vendor_key"]}

    def actions(**filters):
        return [entry.action for entry in staff_audit.list_entries(session, **filters).entries]

    assert actions(staff="sam@") == actions(staff=str(support.id)) == ["set_attributes"]
    assert actions(area="vendor_keys") == ["create_vendor_key"]
    assert actions(target="10000001") == ["set_attributes"]
    assert actions(since="2026-11-25") == ["create_vendor_key"]
    assert actions(until="2026-11-24") == ["set_attributes"]
    with pytest.raises(InvalidProfile):
        staff_audit.list_entries(session, since="yesterday")
    with pytest.raises(NotAuthorized):
        staff_audit.record(session, clock, staff_id=999, area="a", action="b", target="c")


def test_the_audit_is_paginated(session, hasher, clock):
    admin = _staff(session, hasher, clock)
    for number in range(staff_audit.PAGE_SIZE + 3):
        clock.advance(seconds=1)
        staff_audit.record(session, clock, staff_id=admin.id, area="tickets", action="approve",
                           target=f"ticket {number}")
    first = staff_audit.list_entries(session)
    second = staff_audit.list_entries(session, page=2)
    assert (first.total, first.pages, len(first.entries), len(second.entries)) == (53, 2, 50, 3)
    assert first.entries[0].target == "ticket 52" and second.entries[-1].target == "ticket 0"
    assert staff_audit.list_entries(session, page=99).page == 2


def test_the_service_answers_the_second_factor_and_the_audit_over_rpc(rpc, clean_db):
    created = rpc.staff_create(email="rpc@certtrack.example.com", name="Rpc", role="admin",
                                        password=GOOD_PASSWORD)
    logged = rpc.staff_authenticate(email=created["email"], password=GOOD_PASSWORD)
    assert logged["second_factor_enrolled"] is False
    offer = rpc.staff_start_second_factor_enrolment(staff_id=created["id"])
    done = rpc.staff_confirm_second_factor_enrolment(
        staff_id=created["id"], code=pyotp.TOTP(offer["secret"]).now())
    assert done["staff"]["second_factor_enrolled"] is True and len(done["recovery_codes"]) == 10
    assert rpc.staff_verify_second_factor(
        staff_id=created["id"], code=done["recovery_codes"][0])["id"] == created["id"]
    assert rpc.staff_current(staff_id=created["id"])["role"] == "admin"
    rpc.staff_record_audit(staff_id=created["id"], area="candidates", action="set_attributes",
                                    target="candidate CSCO10000001", details={"ccie_number": "7"})
    page = rpc.staff_list_audit(target="CSCO10000001")
    assert page["total"] == 1 and page["entries"][0]["staff_email"] == "rpc@certtrack.example.com"
