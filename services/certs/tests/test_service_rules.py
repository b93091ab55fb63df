"""The service's plain rules, without a broker: document sniffing, expert series,
and which change publishes which event (the clock: lib/tests/test_clock.py)."""
from __future__ import annotations

from datetime import date

import pytest

from certs.handlers.continuing_education import content_type_of
from certs.handlers.numbering import series_of
from certs.handlers.standings import _event_type, _same, new_certificate_code
from certs.models import PublishedStanding
from services.certs.tests.support import ce, passed, standing_of


@pytest.mark.parametrize("data, expected", [
    (b"%PDF-1.7\n...", "application/pdf"),
    (b"\xff\xd8\xff\xdb\x00", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00", "image/png"),
    (b"GIF89a", None),
    (b"<html>%PDF-", None),  # the signature must open the file
    (b"", None),
])
def test_documents_are_recognised_by_their_first_bytes(data, expected):
    assert content_type_of(data) == expected


def test_only_ccie_and_ccde_certifications_are_numbered():
    assert series_of("cisco", "ccie_enterprise_infrastructure") == "CCIE"
    assert series_of("cisco", "ccde") == "CCDE"
    assert series_of("cisco", "ccnp_enterprise") is None
    assert series_of("juniper", "jncie_ent") is None


def test_certificate_codes_are_long_url_safe_and_distinct():
    codes = {new_certificate_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(code) >= 22 and code.replace("-", "").replace("_", "").isalnum() for code in codes)


def row(status, active_on=None, expires_on=None):
    return PublishedStanding(status=status, active_on=active_on and date.fromisoformat(active_on),
                             expires_on=expires_on and date.fromisoformat(expires_on))


def test_which_change_publishes_which_event():
    first = standing_of("cisco", [passed("200-301", "2024-01-15")], "2026-06-01").certification("ccna")
    renewed = standing_of("cisco", [passed("200-301", "2024-01-15"), passed("200-301", "2026-03-01")],
                          "2026-06-01").certification("ccna")
    lapsed_and_again = standing_of("cisco", [passed("200-301", "2020-01-15"), passed("200-301", "2026-03-01")],
                                   "2026-06-01").certification("ccna")
    expired = standing_of("cisco", [passed("200-301", "2020-01-15")], "2026-06-01").certification("ccna")

    assert _same(None, standing_of("cisco", [], "2026-06-01").certification("ccna"))
    assert not _same(None, first)
    assert _event_type(first, None) == "certification_achieved"
    assert _same(row("active", "2024-01-15", "2027-01-15"), first)
    assert _event_type(renewed, row("active", "2024-01-15", "2027-01-15")) == "certification_recertified"
    assert _event_type(lapsed_and_again, row("active", "2020-01-15", "2023-01-15")) == "certification_achieved"
    assert _event_type(lapsed_and_again, row("expired", "2020-01-15", "2023-01-15")) == "certification_achieved"
    assert _event_type(expired, row("active", "2020-01-15", "2023-01-15")) == "certification_expired"


def test_a_late_renewal_after_the_expiry_was_announced_is_a_recertification():
    # Expiry announced on 15 Jan 2027; then staff approve 30 CE credits completed on 1 Dec 2026.
    announced_expired = row("expired", "2024-01-15", "2027-01-15")
    backdated = standing_of("cisco", [passed("200-301", "2024-01-15"), ce(30, "2026-12-01")],
                            "2027-02-01").certification("ccna")
    earned_again = standing_of("cisco", [passed("200-301", "2024-01-15"), passed("200-301", "2027-01-20")],
                               "2027-02-01").certification("ccna")
    # After a late renewal, another renewal from an exam passed after the announced expiry:
    # still one unbroken holding since 2024.
    renewed_twice = standing_of("cisco", [passed("200-301", "2024-01-15"), ce(30, "2026-12-01"),
                                          passed("300-410", "2027-01-20")], "2027-02-01").certification("ccna")

    assert backdated.active_on == date(2026, 12, 1)
    assert _event_type(backdated, announced_expired) == "certification_recertified"
    assert _event_type(renewed_twice, announced_expired) == "certification_recertified"
    assert _event_type(earned_again, announced_expired) == "certification_achieved"
