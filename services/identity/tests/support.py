"""Fakes, sample data and helpers shared by the identity tests.

Imported as `services.identity.tests.support` (the repository root is on the
test path), so it cannot clash with another service's test helpers.
"""
from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import datetime, timedelta, timezone

from nameko.exceptions import RemoteError

from tests.harness.messages import wait_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
GOOD_PASSWORD = "correct horse battery staple"


class FakeClock:
    """A clock that stands still until told to move."""

    def __init__(self, now: datetime | None = None):
        self.now = now or datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class FakeOutbox:
    """Records what a rule would publish and mail."""

    def __init__(self):
        self.events = []
        self.mails = []

    def publish(self, event, exchange=None, routing_key=None):
        self.events.append(event)

    def mail(self, mail):
        self.mails.append(mail)

    def events_of(self, event_type: str) -> list:
        return [event for event in self.events if event.event_type == event_type]

    def mails_to(self, address: str) -> list:
        return [mail for mail in self.mails if address in mail.to]

    def clear(self):
        self.events.clear()
        self.mails.clear()


class CountingHasher:
    """Wraps the real hasher and counts verifications (timing-equality checks)."""

    def __init__(self, real):
        self.real = real
        self.verified = []

    def hash(self, password):
        return self.real.hash(password)

    def verify(self, password_hash, password):
        self.verified.append(password_hash)
        return self.real.verify(password_hash, password)

    def needs_rehash(self, password_hash):
        return self.real.needs_rehash(password_hash)


def unique_email(name: str = "cand") -> str:
    return f"{name}.{uuid.uuid4().hex[:10]}@example.com"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def link_token(mail_text: str, path: str) -> str:
    found = re.search(rf"/{path}/([A-Za-z0-9_-]+)", mail_text)
    assert found, f"no /{path}/<token> link in the mail"
    return found.group(1)



def remote_detail(error: RemoteError) -> dict:
    """What the gateway reads from an identity error (see identity/exceptions.py)."""
    return json.loads(error.value)


def smtp_mails_to(smtp_server, address: str, count: int = 1, timeout: float = 15.0) -> list:
    """Wait until `count` mails to `address` reached the real SMTP server."""

    def found():
        mails = [m for m in smtp_server.messages() if address in str(m["To"])]
        return mails if len(mails) >= count else None

    return wait_for(found, timeout=timeout, message=f"{count} mail(s) to {address}")


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


# -- building state through the rules themselves ------------------------------
def reported(registration_number: str = "460000001", *, email: str | None = None,
             candidate_id: str | None = None, first_name: str = "John", last_name: str = "Doe",
             vendor: str = "pearson_vue", program: str = "cisco",
             event_id: str | None = None) -> dict:
    """A `candidate_reported` body as the exams service publishes it."""
    return {
        "schema_version": 1,
        "event_id": event_id or f"exams-{uuid.uuid4()}",
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "vendor": vendor,
        "program": program,
        "registration_number": registration_number,
        "candidate": {"candidate_id": candidate_id, "first_name": first_name,
                      "last_name": last_name, "email": email or unique_email()},
    }


def report(session, outbox, clock, **kwargs) -> dict:
    """Run `handle_candidate_reported` on a fresh report; returns its outcome."""
    from certtrack_shared.contracts.exams import CandidateReportedV1
    from identity.handlers.candidates import handle_candidate_reported

    event = CandidateReportedV1.model_validate(reported(**kwargs))
    return handle_candidate_reported(session, outbox, clock, event)


def make_candidate(session, outbox, clock, *, email: str | None = None, first_name="Ada",
                   last_name="Lovelace", program="cisco", password: str | None = None,
                   hasher=None):
    """A candidate created by staff (optionally with a password); returns the model row."""
    from identity.handlers.common import get_candidate, set_password
    from identity.handlers.staff import staff_create_candidate

    created = staff_create_candidate(session, outbox, clock, program=program,
                                     first_name=first_name, last_name=last_name,
                                     email=email or unique_email())
    candidate = get_candidate(session, created.candidate_id)
    if password is not None:
        set_password(candidate, hasher, password, clock())
    session.flush()
    return candidate
