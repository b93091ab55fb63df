"""Password login: argon2id, one error for every failure, rate limits (no broker)."""
from __future__ import annotations

import pytest

from identity.exceptions import InvalidCredentials, TooManyAttempts, WeakPassword
from identity.handlers.login import authenticate
from identity.handlers.passwords import check_password_rules

from services.identity.tests.support import GOOD_PASSWORD, CountingHasher, make_candidate


@pytest.fixture
def ada(session, outbox, clock, hasher):
    return make_candidate(session, outbox, clock, password=GOOD_PASSWORD, hasher=hasher)


def login(session, hasher, clock, who, password=GOOD_PASSWORD, address="192.0.2.1"):
    return authenticate(session, hasher, clock, login=who, password=password, client_address=address)


def test_the_stored_hash_is_argon2id_with_19_mib_2_iterations_1_lane(ada):
    assert ada.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert GOOD_PASSWORD not in ada.password_hash


def test_log_in_with_the_candidate_id_or_the_email_in_any_case(session, hasher, clock, ada):
    by_id = login(session, hasher, clock, ada.candidate_id.lower())
    by_email = login(session, hasher, clock, f"  {ada.email.upper()} ")
    assert by_id == by_email
    assert by_id.candidate_id == ada.candidate_id and by_id.has_password


def test_unknown_login_and_wrong_password_fail_alike(session, hasher, clock, ada):
    counting = CountingHasher(hasher)
    with pytest.raises(InvalidCredentials) as unknown:
        login(session, counting, clock, "nobody@example.com")
    with pytest.raises(InvalidCredentials) as wrong:
        login(session, counting, clock, ada.candidate_id, password="not the password at all")
    assert (str(unknown.value), unknown.value.args) == (str(wrong.value), wrong.value.args)
    # Each did the work of one password verification (no timing difference).
    assert len(counting.verified) == 2


def test_a_candidate_without_a_password_cannot_log_in(session, outbox, clock, hasher):
    fresh = make_candidate(session, outbox, clock)
    with pytest.raises(InvalidCredentials):
        login(session, hasher, clock, fresh.email, password="")


def test_five_failures_lock_the_account_for_fifteen_minutes(session, hasher, clock, ada):
    for attempt in range(5):
        with pytest.raises(InvalidCredentials):
            login(session, hasher, clock, ada.email, password="wrong password!!", address=f"198.51.100.{attempt}")
        clock.advance(seconds=10)
    # Even the right password, from yet another address, is refused now.
    with pytest.raises(TooManyAttempts) as blocked:
        login(session, hasher, clock, ada.candidate_id, address="203.0.113.9")
    assert blocked.value.retry_after_seconds == 15 * 60 - 50
    assert blocked.value.detail == {"retry_after_seconds": 850}
    clock.advance(seconds=850)
    assert login(session, hasher, clock, ada.candidate_id).candidate_id == ada.candidate_id


def test_an_unknown_login_is_throttled_like_a_real_one(session, hasher, clock):
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            login(session, hasher, clock, "ghost@example.com", password="whatever it is")
    with pytest.raises(TooManyAttempts):
        login(session, hasher, clock, "ghost@example.com", password="whatever it is")


def test_twenty_failures_from_one_address_block_that_address_only(session, hasher, clock, ada):
    for n in range(20):
        with pytest.raises(InvalidCredentials):
            login(session, hasher, clock, f"guess{n}@example.com", password="password guess", address="10.9.8.7")
    with pytest.raises(TooManyAttempts):
        login(session, hasher, clock, ada.email, address="10.9.8.7")
    assert login(session, hasher, clock, ada.email, address="10.9.8.6").candidate_id == ada.candidate_id


def test_a_successful_login_forgets_the_accounts_failures(session, hasher, clock, ada):
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            login(session, hasher, clock, ada.email, password="wrong password!!")
    login(session, hasher, clock, ada.email)
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            login(session, hasher, clock, ada.email, password="wrong password!!")
    assert login(session, hasher, clock, ada.email).candidate_id == ada.candidate_id


@pytest.mark.parametrize(
    "password, message",
    [
        ("short pw", "at least 12"),
        ("x" * 129, "at most 128"),
        ("my id is csco10000001!", "candidate ID"),
        ("ada@example.com is mine", "email"),
        (" " * 14, "only spaces"),
    ],
)
def test_password_rules(password, message):
    with pytest.raises(WeakPassword) as weak:
        check_password_rules(password, candidate_id="CSCO10000001", email="ada@example.com")
    assert message in weak.value.fields["password"]


def test_a_good_password_passes_the_rules():
    check_password_rules(GOOD_PASSWORD, candidate_id="CSCO10000001", email="ada@example.com")
