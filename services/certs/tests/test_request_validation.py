"""Requests refused before any table is read (no broker, no database): the
field messages come from certtrack_shared.validation.parse, in words."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from certs.exceptions import InvalidRequest, InvalidReview, InvalidSubmission
from certs.handlers import agreements, continuing_education

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def test_a_submission_names_each_bad_field_in_words():
    with pytest.raises(InvalidSubmission) as refused:
        continuing_education.submit(None, None, None, candidate_id="CSCO10000001", title="t" * 301,
                                    provider="Cisco Live", completed_on="2026-05-01", kind="webinar",
                                    document={"filename": "a.pdf"})
    fields = refused.value.fields
    assert fields["title"] == "Use at most 300 characters."
    assert fields["document"] == "This field is required."  # document.data_b64, shown on the upload
    assert set(fields) == {"title", "kind", "document"}
    assert refused.value.detail["message"] == "Check the highlighted fields."
    assert "https://" not in str(refused.value) and "t" * 301 not in str(refused.value)


def test_a_review_without_its_staff_member_or_reason_is_refused():
    with pytest.raises(InvalidReview) as refused:
        continuing_education.reject(None, None, None, None, activity_id=7, reason="  ", staff=None)
    assert set(refused.value.fields) == {"reason", "staff"}
    with pytest.raises(InvalidReview) as refused:
        continuing_education.approve(None, None, None, None, activity_id="7", credits=3, staff="s@example.com")
    assert set(refused.value.fields) == {"activity_id"}


def test_publishing_an_agreement_checks_its_fields_before_the_program():
    with pytest.raises(InvalidRequest) as refused:
        agreements.publish(None, NOW, {}, program="cisco", title="", body="x", staff="s@example.com")
    assert set(refused.value.fields) == {"title"}
    with pytest.raises(InvalidRequest) as refused:
        agreements.publish(None, NOW, {}, program="cisco", title="Agreement", body="x", staff="s@example.com")
    assert refused.value.fields == {"program": "No such program."}
