"""An in-memory transcripts service for the gateway's unit tests.

It answers the transcripts RPC methods (services/transcripts/transcripts/service.py)
with the real service's signatures, reply shapes and rules — the candidate
owns what they create (another's is `TranscriptNotFound`), a share mail
needs the right access code, deactivated/expired is `TranscriptInactive` —
and fails the way the real one does over nameko (fakes/rpc.py, FakeService).
Verification is not an RPC: the gateway forwards it to the service's web app
(test_transcripts_forwarding.py). Test helpers: `hold` (a certification in
the projection), `add_person`, `mails`, `called`.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime, timedelta, timezone

from certtrack_shared.errors import DomainError

from .rpc import FakeService

InvalidTranscript = type("InvalidTranscript", (DomainError,), {})
TranscriptNotFound = type("TranscriptNotFound", (DomainError,), {})
TranscriptInactive = type("TranscriptInactive", (DomainError,), {})

RPC_METHODS = {
    "health", "transcript_options", "create_transcript", "list_transcripts", "get_transcript",
    "update_transcript", "deactivate_transcript", "regenerate_access_code", "preview_share_mail",
    "send_share_mail",
}


def _hash(access_code: str) -> str:
    return hashlib.sha256(access_code.encode()).hexdigest()


class FakeTranscripts(FakeService):
    service_name = "transcripts"
    rpc_methods = RPC_METHODS

    def __init__(self, site_url="http://127.0.0.1:8000"):
        self.now = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
        self.site_url = site_url
        self.people: dict[str, dict] = {}
        self.certifications: dict[str, dict[str, dict]] = {}
        self.transcripts: dict[str, dict] = {}
        self.mails: list[dict] = []
        self.calls: list[tuple[str, dict]] = []

    # -- test helpers ---------------------------------------------------------------------
    def add_person(self, candidate_id, name="Ada Lovelace", email="ada@example.com"):
        self.people[candidate_id] = {"name": name, "email": email}

    def hold(self, candidate_id, cert_id, name=None, status="active", active_on="2026-01-10",
             expires_on="2029-01-10"):
        self.certifications.setdefault(candidate_id, {})[cert_id] = {
            "id": cert_id, "name": name or cert_id.upper(), "status": status,
            "active_on": active_on, "expires_on": expires_on}

    def called(self, method: str) -> list[dict]:
        return [arguments for name, arguments in self.calls if name == method]

    # -- candidate methods ------------------------------------------------------------------
    def health(self):
        return {"service": "transcripts", "database": "ok"}

    def transcript_options(self, candidate_id):
        held = [c for c in self.certifications.get(candidate_id, {}).values() if c["status"] != "in_progress"]
        person = self.people.get(candidate_id)
        return {"name": person["name"] if person else None, "certifications": [{"id": c["id"], "name": c["name"], "status": c["status"],
                                    "expires_on": c["expires_on"]} for c in sorted(held, key=lambda c: c["name"])]}

    def create_transcript(self, candidate_id, transcript):
        fields = self._check(candidate_id, transcript)
        access_code = secrets.token_urlsafe(18)
        record = {**fields, "code": secrets.token_urlsafe(18), "candidate_id": candidate_id,
                  "access_code_hash": _hash(access_code), "created_at": self.now.isoformat(),
                  "updated_at": self.now.isoformat(), "deactivated_at": None, "views": 0, "last_viewed_at": None}
        self.transcripts[record["code"]] = record
        return {"transcript": self._summary(record), "access_code": access_code}

    def list_transcripts(self, candidate_id):
        own = [t for t in self.transcripts.values() if t["candidate_id"] == candidate_id]
        return {"items": [self._summary(t) for t in reversed(own)]}

    def get_transcript(self, candidate_id, code):
        return self._summary(self._own(candidate_id, code))

    def update_transcript(self, candidate_id, code, transcript):
        record = self._own(candidate_id, code)
        if record["deactivated_at"]:
            raise TranscriptInactive({"state": "deactivated"})
        record.update(self._check(candidate_id, transcript), updated_at=self.now.isoformat())
        return self._summary(record)

    def deactivate_transcript(self, candidate_id, code):
        record = self._own(candidate_id, code)
        record["deactivated_at"] = record["deactivated_at"] or self.now.isoformat()
        return self._summary(record)

    def regenerate_access_code(self, candidate_id, code):
        record = self._own(candidate_id, code)
        if record["deactivated_at"]:
            raise TranscriptInactive({"state": "deactivated"})
        access_code = secrets.token_urlsafe(18)
        record["access_code_hash"] = _hash(access_code)
        return {"transcript": self._summary(record), "access_code": access_code}

    def preview_share_mail(self, candidate_id, code, access_code, to, message=""):
        return self._mail(self._own(candidate_id, code), access_code, to, message)

    def send_share_mail(self, candidate_id, code, access_code, to, message=""):
        mail = self._mail(self._own(candidate_id, code), access_code, to, message)
        self.mails.append(mail)
        return mail

    # -- rules --------------------------------------------------------------------------------
    def _own(self, candidate_id, code):
        record = self.transcripts.get(code)
        if record is None or record["candidate_id"] != candidate_id:
            raise TranscriptNotFound({})
        return record

    def _state(self, record):
        if record["deactivated_at"]:
            return "deactivated"
        return "expired" if date.fromisoformat(record["valid_through"]) < self.now.date() else "active"

    def _check(self, candidate_id, transcript) -> dict:
        problems = {}
        description = str(transcript.get("description", "")).strip()
        if not description:
            problems["description"] = "String should have at least 1 character"
        try:
            valid_through = date.fromisoformat(transcript.get("valid_through", ""))
        except (TypeError, ValueError):
            problems["valid_through"] = "Input should be a valid date"
        else:
            if valid_through < self.now.date():
                problems["valid_through"] = "Choose today or a later date."
            elif valid_through > self.now.date() + timedelta(days=5 * 366):
                problems["valid_through"] = "A transcript can be valid for at most five years."
        display = transcript.get("display") or {}
        chosen = display.get("certifications")
        if chosen != "all_active":
            held = {c["id"] for c in self.transcript_options(candidate_id)["certifications"]}
            if not isinstance(chosen, list) or not chosen:
                problems["display.certifications"] = "Input should be 'all_active' or a list of ids"
            elif set(chosen) - held:
                problems["display.certifications"] = (
                    "You do not hold these certifications: " + ", ".join(sorted(set(chosen) - held)) + ".")
        if problems:
            raise InvalidTranscript(problems)
        return {"description": description, "valid_through": transcript["valid_through"],
                "display": {"certifications": chosen if chosen == "all_active" else list(dict.fromkeys(chosen)),
                            **{k: bool(display.get(k, False)) for k in ("include_expired", "include_exams", "show_email")}},
                "remarks": str(transcript.get("remarks", "")).strip()}

    def _summary(self, record) -> dict:
        return {key: record[key] for key in (
            "code", "description", "valid_through", "display", "remarks", "created_at", "updated_at",
            "deactivated_at", "views", "last_viewed_at")} | {"state": self._state(record)}

    def _mail(self, record, access_code, to, message):
        if self._state(record) != "active":
            raise TranscriptInactive({"state": self._state(record)})
        if not hmac.compare_digest(_hash(access_code or ""), record["access_code_hash"]):
            raise InvalidTranscript({"access_code": "This is not the transcript's access code."})
        if "@" not in str(to):
            raise InvalidTranscript({"to": "value is not a valid email address"})
        link = f"{self.site_url}/verify/{record['code']}?access_code={access_code}"
        name = self.people.get(record["candidate_id"], {}).get("name", "A CertTrack candidate")
        subject = f"{name} shared a verified CertTrack transcript with you"
        text = f"{message}\n\nOpen the transcript:\n{link}\n"
        return {"to": [to], "subject": subject, "text": text, "html": f"<p>{message}</p><a href=\"{link}\">{link}</a>"}
