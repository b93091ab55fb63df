"""The external message contracts of CONTRACTS.md, as vendors will send them."""
from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings, strategies as st

from certtrack_shared.contracts import UnknownSchemaVersion, parse_message
from certtrack_shared.contracts.vendor import ExamResultV1

REGISTRATION = {
    "schema_version": 1, "event_id": "pv-000000123", "vendor": "pearson_vue",
    "program": "cisco", "registration_number": "460123456",
    "candidate": {"candidate_id": None, "first_name": "John", "last_name": "Doe",
                  "email": "john.doe@example.com"},
    "exam": {"code": "200-301", "title": "Implementing and Administering Cisco Solutions"},
    "scheduled_at": "2026-12-01T09:00:00Z",
}
RESULT = {
    "schema_version": 1, "event_id": "pv-000000124", "vendor": "pearson_vue",
    "program": "cisco", "registration_number": "460123456",
    "candidate": {"candidate_id": "CSCO10000001", "first_name": "John", "last_name": "Doe",
                  "email": "john.doe@example.com"},
    "exam": {"code": "200-301", "title": "Implementing and Administering Cisco Solutions"},
    "taken_at": "2026-12-01T11:42:00Z", "score": 842, "passing_score": 825,
    "result": "pass",
    "test_center": {"id": "TC-88231", "name": "Online proctored", "country": "US"},
}
REVOKED = {
    "schema_version": 1, "event_id": "pv-000000125", "vendor": "pearson_vue",
    "program": "cisco", "registration_number": "460123456",
    "reason": "exam security violation", "revoked_at": "2026-12-09T10:00:00Z",
}
SHIPPED = {"schema_version": 1, "event_id": "wh-1", "order_id": "ORD-2026-000042",
           "shipped_at": "2026-12-03T08:00:00Z", "carrier": "UPS", "tracking_number": None}


@pytest.mark.parametrize(
    "exchange, key, body",
    [("vendor.events", "exam_registration", REGISTRATION),
     ("vendor.events", "exam_result", RESULT),
     ("vendor.events", "exam_result_revoked", REVOKED),
     ("warehouse.events", "order_shipped", SHIPPED)],
)
def test_contract_examples_parse(exchange, key, body):
    event = parse_message(exchange, key, json.dumps(body).encode())
    assert event.event_id == body["event_id"]
    assert event.event_type == key


def test_result_that_disagrees_with_score_is_invalid():
    body = dict(RESULT, score=700)  # below 825 yet "pass"
    with pytest.raises(ValueError, match="disagrees with score 700"):
        parse_message("vendor.events", "exam_result", body)


def test_a_score_beyond_any_real_scale_is_invalid_not_a_database_error():
    body = dict(RESULT, score=2**31, passing_score=825, result="pass")
    with pytest.raises(ValueError, match="less than or equal to 1000000"):
        parse_message("vendor.events", "exam_result", body)


def test_unknown_schema_version_names_the_known_ones():
    with pytest.raises(UnknownSchemaVersion, match=r"unknown schema_version 2.*known: \[1\]"):
        parse_message("vendor.events", "exam_result", dict(RESULT, schema_version=2))


def test_bad_email_and_naive_timestamp_are_refused():
    bad = copy.deepcopy(RESULT)
    bad["candidate"]["email"] = "not-an-email"
    with pytest.raises(ValueError, match="email"):
        parse_message("vendor.events", "exam_result", bad)
    with pytest.raises(ValueError, match="offset"):
        parse_message("vendor.events", "exam_result", dict(RESULT, taken_at="2026-12-01T11:42:00"))


def test_event_serialises_back_to_the_contract_shape():
    event = ExamResultV1.model_validate(RESULT)
    dumped = event.model_dump(mode="json")
    assert dumped["candidate"]["candidate_id"] == "CSCO10000001"
    assert dumped["taken_at"].startswith("2026-12-01T11:42:00")


def _mutations():
    leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
                     st.floats(allow_nan=True))
    return st.tuples(st.sampled_from(sorted(RESULT)), leaf)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_the_parser(raw):
    try:
        parse_message("vendor.events", "exam_result", raw)
    except ValueError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.lists(_mutations(), min_size=1, max_size=4))
def test_mutated_valid_messages_parse_or_raise_value_error(mutations):
    body = copy.deepcopy(RESULT)
    for key, value in mutations:
        body[key] = value
    try:
        event = parse_message("vendor.events", "exam_result", json.dumps(body).encode())
    except ValueError:
        return
    assert event.score >= 0 and (event.result == "pass") == (event.score >= event.passing_score)
