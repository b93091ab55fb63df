"""Events as exams and identity publish them, and waiting for certs to apply them
(imported as `services.certs.tests.events`)."""
from __future__ import annotations

import base64
import itertools
import uuid
from datetime import datetime, timezone

from sqlalchemy import bindparam, text

from tests.harness.messages import publish_raw, wait_for

EXAM_TITLES = {
    "200-301": "Implementing and Administering Cisco Solutions",
    "350-401": "Implementing Cisco Enterprise Network Core Technologies",
}
_sitting_ids = itertools.count(1)
_moments = itertools.count(1)

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _occurred_at() -> str:
    # Strictly increasing, so "the later announcement wins" is well defined in tests.
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=next(_moments) % 1_000_000).isoformat()


def program_of(candidate_id: str) -> str:
    return "juniper" if candidate_id.startswith("JNPR") else "cisco"


def exam_result(candidate_id: str, code: str, on: str, passed: bool = True, sitting_id: int | None = None) -> dict:
    return {
        "schema_version": 1, "event_id": f"exams-{uuid.uuid4()}", "occurred_at": _occurred_at(),
        "sitting_id": sitting_id or next(_sitting_ids), "candidate_id": candidate_id,
        "program": program_of(candidate_id), "vendor": "pearson_vue",
        "registration_number": str(uuid.uuid4().int)[:9], "exam_code": code,
        "exam_title": EXAM_TITLES.get(code, f"Exam {code}"), "taken_at": f"{on}T10:00:00Z",
        "score": 900 if passed else 500, "passing_score": 825,
    }


def sitting_revoked(result: dict, reason: str = "exam security violation") -> dict:
    return {
        "schema_version": 1, "event_id": f"exams-{uuid.uuid4()}", "occurred_at": _occurred_at(),
        "sitting_id": result["sitting_id"], "candidate_id": result["candidate_id"],
        "program": result["program"], "exam_code": result["exam_code"], "reason": reason,
        "revoked_at": "2026-05-20T10:00:00Z",
    }


def registered(candidate_id: str, email: str, first_name: str = "Ada", last_name: str = "Lovelace") -> dict:
    return {
        "schema_version": 1, "event_id": f"identity-{uuid.uuid4()}", "occurred_at": _occurred_at(),
        "candidate_id": candidate_id, "program": program_of(candidate_id), "first_name": first_name,
        "last_name": last_name, "email": email, "source": "vendor",
    }


def publish(amqp_uri: str, exchange: str, routing_key: str, body: dict) -> dict:
    publish_raw(amqp_uri, exchange, routing_key, body, body["event_id"])
    return body


# Certs also consumes its own announcements (to issue badges): counted with the
# facts, one of them could pass for the fact a test is waiting for.
_OWN_ANNOUNCEMENTS = ("certs.handle_certification_achieved", "certs.handle_certification_recertified",
                      "certs.handle_certification_revoked")


def processed(engine) -> int:
    """How many facts from other services (sittings, candidates, …) certs has applied."""
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT count(*) FROM processed_events WHERE handler NOT IN :own")
            .bindparams(bindparam("own", expanding=True)), {"own": list(_OWN_ANNOUNCEMENTS)}).scalar_one()


def applied(engine, event_id: str) -> bool:
    with engine.connect() as connection:
        return connection.execute(text("SELECT 1 FROM processed_events WHERE event_id = :id"),
                                  {"id": event_id}).first() is not None


def apply(amqp_uri: str, engine, *messages: tuple[str, str, dict]) -> None:
    """Publish each (exchange, routing key, body) and wait until certs applied it, in order."""
    for exchange, routing_key, body in messages:
        publish(amqp_uri, exchange, routing_key, body)
        wait_for(lambda: applied(engine, body["event_id"]), timeout=30, message=f"certs to apply {routing_key}")


def passed(amqp_uri, engine, candidate_id, code, on, **kwargs) -> dict:
    body = exam_result(candidate_id, code, on, **kwargs)
    apply(amqp_uri, engine, ("exams.events", "exam_passed", body))
    return body


def revoke(amqp_uri, engine, result: dict, reason: str = "exam security violation") -> dict:
    body = sitting_revoked(result, reason)
    apply(amqp_uri, engine, ("exams.events", "sitting_revoked", body))
    return body


def register(amqp_uri, engine, candidate_id, email, **kwargs) -> dict:
    body = registered(candidate_id, email, **kwargs)
    apply(amqp_uri, engine, ("identity.events", "candidate_registered", body))
    return body


def document(data: bytes = PDF, filename: str = "certificate.pdf") -> dict:
    return {"filename": filename, "data_b64": base64.b64encode(data).decode("ascii")}


def mails_to(smtp_server, address: str) -> list:
    return [m for m in smtp_server.messages() if address in str(m["To"])]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()
