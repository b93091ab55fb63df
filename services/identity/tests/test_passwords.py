"""The password rules of OWASP ASVS 2.1 and NFKC normalisation (no broker, no database)."""
from __future__ import annotations

import gzip
import unicodedata
from importlib import resources

import pytest

from identity.exceptions import WeakPassword
from identity.handlers.passwords import MAX_LENGTH, MIN_LENGTH, check_password_rules, common_passwords

CANDIDATE_ID = "CSCO10000001"
EMAIL = "grace.hopper@example.com"


def refusal(password: str, **context) -> str:
    with pytest.raises(WeakPassword) as weak:
        check_password_rules(password, **context)
    return weak.value.fields["password"]


def test_the_shipped_list_holds_the_100000_most_common_passwords_with_its_source_beside_it():
    data = resources.files("identity").joinpath("data")
    lines = gzip.decompress(data.joinpath("common-passwords-100k.txt.gz").read_bytes()).decode().splitlines()
    assert len(lines) == 100_000
    assert lines[:3] == ["123456", "password", "12345678"]
    notes = data.joinpath("README.md").read_text()
    assert "SecLists" in notes and "MIT" in notes
    assert common_passwords() is common_passwords()  # read once


@pytest.mark.parametrize("password", ["qwerty123456", "QWERTY123456", "1qaz2wsx3edc", "qazwsxedcrfv"])
def test_a_password_among_the_most_common_is_refused_in_any_case(password):
    assert password.casefold() in common_passwords()
    assert "most common passwords" in refusal(password)


def test_the_common_list_is_matched_after_nfkc_so_full_width_digits_do_not_slip_through():
    full_width = "ｑｗｅｒｔｙ１２３４５６"
    assert "most common passwords" in refusal(full_width)


def test_length_is_counted_in_characters_after_normalisation_from_12_to_128():
    assert f"at least {MIN_LENGTH}" in refusal("x" * 3 + "y" * 8)
    check_password_rules("ünïcødé ok 12")  # 13 characters, non-ASCII allowed
    check_password_rules("z" * (MAX_LENGTH - 1) + "q")
    assert f"at most {MAX_LENGTH}" in refusal("z" * MAX_LENGTH + "q")
    # U+FB03 (ﬃ) is one character typed, three after NFKC.
    assert "at most" in refusal("\ufb03" * 43)


def test_no_composition_rules():
    check_password_rules("all lower case words only")
    check_password_rules("日本語のとても長いパスワードです")


@pytest.mark.parametrize("password", [
    "my id csco10000001!", "CSCO10000001 forever",
])
def test_a_password_containing_the_candidate_id_is_refused(password):
    assert "candidate ID" in refusal(password, candidate_id=CANDIDATE_ID, email=EMAIL)


@pytest.mark.parametrize("password", [
    "GRACE.HOPPER@example.com!", "i am grace.hopper ok", "Grace.Hopper 2024 rules",
])
def test_a_password_containing_the_email_or_its_local_part_is_refused_in_any_case(password):
    assert "email address" in refusal(password, candidate_id=CANDIDATE_ID, email=EMAIL)


def test_a_short_local_part_is_not_a_rule():
    check_password_rules("bob builds big bridges", email="bob@example.com")


def test_hash_and_verify_agree_across_unicode_forms(hasher):
    composed = unicodedata.normalize("NFC", "crème brûlée au café")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    stored = hasher.hash(decomposed)
    assert hasher.verify(stored, composed)
    assert not hasher.verify(stored, "creme brulee au cafe")


def test_a_hash_of_a_password_stored_before_normalisation_still_verifies(hasher):
    typed = "ｆｕｌｌ width secret words"
    legacy = hasher._hasher.hash(typed)  # as the hasher stored it before NFKC
    assert hasher.verify(legacy, typed)
