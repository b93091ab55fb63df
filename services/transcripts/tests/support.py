"""Events as the certs, exams and identity services publish them, and helpers
to publish them to a running transcripts service and wait until applied."""
from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import create_engine, text

from tests.harness.messages import publish_raw, wait_for

CERT_NAMES = {
    "ccna": ("CCNA", "associate", "enterprise"),
    "ccnp_enterprise": ("CCNP Enterprise", "professional", "enterprise"),
    "devnet_associate": ("Cisco Certified DevNet Associate", "associate", "devnet"),
    "cyberops_associate": ("Cisco Certified CyberOps Associate", "associate", "cyberops"),
    "ccie_enterprise_infrastructure": ("CCIE Enterprise Infrastructure", "expert", "enterprise"),
}
TODAY = datetime.now(timezone.utc).date()


def _stamp(at: datetime | None = None) -> str:
    return (at or datetime.now(timezone.utc)).isoformat()


def certification(kind: str, candidate_id: str, certification_id: str, status: str, revision: int, *,
                  active_on: date | None = None, expires_on: date | None = None) -> tuple[str, dict]:
    """(routing key, body) of a `certification_<kind>` event."""
    name, level, track = CERT_NAMES[certification_id]
    if status != "in_progress":
        active_on = active_on or TODAY - timedelta(days=30)
        expires_on = expires_on if expires_on is not None else active_on.replace(year=active_on.year + 3)
    body = {
        "schema_version": 1, "event_id": f"certs-{uuid.uuid4()}", "occurred_at": _stamp(),
        "candidate_id": candidate_id, "program": "cisco", "certification_id": certification_id,
        "certification_name": name, "level": level, "track": track, "status": status,
        "started_on": (TODAY - timedelta(days=90)).isoformat(),
        "active_on": active_on.isoformat() if active_on else None,
        "expires_on": expires_on.isoformat() if expires_on else None, "revision": revision,
    }
    if kind == "achieved":
        body.update(first_achievement=revision == 1, kit=[])
    if kind == "revoked":
        body.update(reason="exam result revoked", sitting_ids=[1])
    return f"certification_{kind}", body


def sitting(result: str, candidate_id: str, sitting_id: int, *, exam_code="200-301",
            exam_title="Implementing and Administering Cisco Solutions", at: datetime | None = None):
    return f"exam_{'passed' if result == 'pass' else 'failed'}", {
        "schema_version": 1, "event_id": f"exams-{uuid.uuid4()}", "occurred_at": _stamp(at),
        "sitting_id": sitting_id, "candidate_id": candidate_id, "program": "cisco",
        "vendor": "pearson_vue", "registration_number": f"46{sitting_id:07d}",
        "exam_code": exam_code, "exam_title": exam_title, "taken_at": "2026-06-01T11:42:00Z",
        "score": 842 if result == "pass" else 700, "passing_score": 825,
    }


def sitting_revoked(candidate_id: str, sitting_id: int, exam_code="200-301"):
    return "sitting_revoked", {
        "schema_version": 1, "event_id": f"exams-{uuid.uuid4()}", "occurred_at": _stamp(),
        "sitting_id": sitting_id, "candidate_id": candidate_id, "program": "cisco",
        "exam_code": exam_code, "reason": "exam security violation", "revoked_at": _stamp(),
    }


def candidate(candidate_id: str, first_name: str, last_name: str, email: str, *,
              kind: str = "registered", at: datetime | None = None):
    body = {
        "schema_version": 1, "event_id": f"identity-{uuid.uuid4()}", "occurred_at": _stamp(at),
        "candidate_id": candidate_id, "program": "cisco", "first_name": first_name,
        "last_name": last_name, "email": email,
    }
    if kind == "registered":
        body["source"] = "vendor"
        return "candidate_registered", body
    body["changed"] = ["email"]
    return "candidate_profile_updated", body


EXCHANGES = {"certification": "certs.events", "exam": "exams.events", "sitting": "exams.events",
             "candidate": "identity.events"}


class Projection:
    """Publishes events to the service under test and waits until each is applied."""

    def __init__(self, config: dict):
        self.amqp_uri = config["AMQP_URI"]
        self.engine = create_engine(config["DATABASE_URL"])

    def publish(self, *events: tuple[str, dict]) -> None:
        for routing_key, body in events:
            exchange = EXCHANGES[routing_key.split("_")[0]]
            publish_raw(self.amqp_uri, exchange, routing_key, body, message_id=body["event_id"])
        wanted = {body["event_id"] for _, body in events}
        wait_for(lambda: wanted <= self._processed(), timeout=20,
                 message=f"{len(wanted)} event(s) applied")

    def _processed(self) -> set[str]:
        with self.engine.connect() as connection:
            return set(connection.execute(text("SELECT event_id FROM processed_events")).scalars())

    def execute(self, sql: str, **params):
        with self.engine.begin() as connection:
            return connection.execute(text(sql), params)

    def close(self):
        self.engine.dispose()


def remote_detail(error) -> dict:
    return json.loads(error.value)


# -- transcripts as the tests make them --------------------------------------------------
ADA, GRACE = "CSCO10000001", "CSCO10000002"
VALID = (TODAY + timedelta(days=90)).isoformat()


def transcript(certifications="all_active", **options):
    return {"description": "For ACME Networks", "valid_through": VALID,
            "display": {"certifications": certifications, **options}, "remarks": "sent to HR"}


def create(rpc, candidate_id=ADA, **kwargs):
    created = rpc.create_transcript(candidate_id=candidate_id, transcript=transcript(**kwargs))
    return created["transcript"]["code"], created["access_code"]


def statuses(view):
    return [(cert["id"], cert["status"]) for cert in view["certifications"]]
