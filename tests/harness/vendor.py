"""Vendor messages shaped exactly like CONTRACTS.md §2, for tests and tools."""
from __future__ import annotations

import uuid


def registration(number, email="john.doe@example.com", last_name="Doe", candidate_id=None,
                 exam=("200-301", "Implementing and Administering Cisco Solutions")):
    return {
        "schema_version": 1, "event_id": f"pv-{uuid.uuid4()}", "vendor": "pearson_vue",
        "program": "cisco", "registration_number": number,
        "candidate": {"candidate_id": candidate_id, "first_name": "John",
                      "last_name": last_name, "email": email},
        "exam": {"code": exam[0], "title": exam[1]},
        "scheduled_at": "2026-12-01T09:00:00Z",
    }


def result(number, score=842, passing=825, email="john.doe@example.com", candidate_id=None,
           exam=("200-301", "Implementing and Administering Cisco Solutions"),
           taken_at="2026-12-01T11:42:00Z", last_name="Doe"):
    return {
        "schema_version": 1, "event_id": f"pv-{uuid.uuid4()}", "vendor": "pearson_vue",
        "program": "cisco", "registration_number": number,
        "candidate": {"candidate_id": candidate_id, "first_name": "John", "last_name": last_name,
                      "email": email},
        "exam": {"code": exam[0], "title": exam[1]},
        "taken_at": taken_at, "score": score, "passing_score": passing,
        "result": "pass" if score >= passing else "fail",
        "test_center": {"id": "TC-88231", "name": "Online proctored", "country": "US"},
    }


def revocation(number, reason="exam security violation"):
    return {
        "schema_version": 1, "event_id": f"pv-{uuid.uuid4()}", "vendor": "pearson_vue",
        "program": "cisco", "registration_number": number, "reason": reason,
        "revoked_at": "2026-12-09T10:00:00Z",
    }


def linked(number, candidate_id):
    """What identity answers once it knows whose registration this is."""
    from datetime import datetime, timezone

    return {
        "schema_version": 1, "event_id": f"identity-{uuid.uuid4()}",
        "occurred_at": datetime.now(timezone.utc).isoformat(), "vendor": "pearson_vue",
        "registration_number": number, "candidate_id": candidate_id,
    }
