"""In-memory stand-ins for the dead-letter RPCs (lib/certtrack_shared/deadletters.py,
on exams and identity) and exams' vendor-key RPCs (services/exams/exams/vendor_keys.py),
for the gateway's unit tests.

They answer with the real services' argument names and reply shapes, and
fail as the real ones do over nameko: a domain error arrives as a
`RemoteError` whose `value` is the error's JSON detail, an unknown method as
`MethodNotFound`. `StaffDesks` routes each call to the fake that answers it,
falling back to another RPC client (the identity fake, for staff login).
"""
from __future__ import annotations

import base64
import hashlib
import inspect
import json
import secrets

from nameko.exceptions import IncorrectSignature, MethodNotFound, RemoteError

from gateway.errors import ServiceUnreachable

NOW = "2026-11-25T10:00:00+00:00"


def _remote(exc_type: str, detail: dict | None = None) -> RemoteError:
    return RemoteError(exc_type, json.dumps(detail or {}, sort_keys=True))


class _Fake:
    methods: frozenset[str] = frozenset()

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []

    def answer(self, method: str, kwargs: dict):
        handler = getattr(self, method)
        try:
            inspect.signature(handler).bind(**kwargs)
        except TypeError as error:
            raise IncorrectSignature(str(error)) from None
        kwargs = json.loads(json.dumps(kwargs))
        self.calls.append((method, kwargs))
        return json.loads(json.dumps(handler(**kwargs)))

    def called(self, method: str) -> list[dict]:
        return [arguments for name, arguments in self.calls if name == method]


class FakeDeadLetters(_Fake):
    """One service's dead-letter archive."""

    methods = frozenset({"list_dead_letters", "get_dead_letter", "replay_dead_letter",
                         "discard_dead_letter"})

    def __init__(self, service: str):
        super().__init__()
        self.service = service
        self.items: dict[int, dict] = {}

    def add(self, body: bytes, *, reason="invalid message: 1 validation error", status="held",
            queue=None, message_id="pv-1", dead_lettered_at="2026-11-25T09:00:00+00:00") -> dict:
        dead_letter_id = len(self.items) + 1
        queue = queue or f"evt-vendor-exam_result--{self.service}.handle_exam_result"
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        self.items[dead_letter_id] = {
            "id": dead_letter_id, "service": self.service, "queue": queue,
            "exchange": "vendor.events", "routing_key": "exam_result", "message_id": message_id,
            "reason": reason, "dead_lettered_at": dead_lettered_at, "archived_at": dead_lettered_at,
            "status": status, "resolved_by": None, "resolved_at": None, "note": None,
            "body_text": text, "body_b64": base64.b64encode(body).decode(),
            "headers": {"x-certtrack-reason": reason, "x-certtrack-queue": queue}, "audit": [],
        }
        return self.items[dead_letter_id]

    def _summary(self, item):
        return {key: value for key, value in item.items()
                if key not in ("body_text", "body_b64", "headers", "audit")}

    def _held(self, dead_letter_id):
        item = self.get_dead_letter(dead_letter_id)
        if item["status"] != "held":
            raise _remote("DeadLetterAlreadyResolved",
                          {"status": item["status"], "resolved_by": item["resolved_by"]})
        return item

    def list_dead_letters(self, status=None):
        return [self._summary(item) for item in self.items.values()
                if status in (None, item["status"])]

    def get_dead_letter(self, dead_letter_id):
        if dead_letter_id not in self.items:
            raise _remote("DeadLetterNotFound", {"dead_letter_id": dead_letter_id})
        return self.items[dead_letter_id]

    def replay_dead_letter(self, dead_letter_id, staff, corrected_body=None):
        item = self._held(dead_letter_id)
        body = corrected_body if corrected_body is not None else item["body_text"]
        try:
            parsed = json.loads(body or "")
        except ValueError:
            raise _remote("InvalidDeadLetterCorrection",
                          {"body": "The corrected body still fails its contract: not JSON"}) from None
        if parsed.get("result") == "fail":
            raise _remote("InvalidDeadLetterCorrection",
                          {"body": "The message still fails its contract: result disagrees"})
        item.update(status="replayed", resolved_by=staff, resolved_at=NOW)
        item["audit"].append({"id": len(item["audit"]) + 1, "action": "replayed", "staff": staff,
                              "at": NOW, "note": None, "body_before": item["body_text"],
                              "body_after": corrected_body})
        return item

    def discard_dead_letter(self, dead_letter_id, staff, reason):
        item = self._held(dead_letter_id)
        item.update(status="discarded", resolved_by=staff, resolved_at=NOW, note=reason)
        item["audit"].append({"id": len(item["audit"]) + 1, "action": "discarded", "staff": staff,
                              "at": NOW, "note": reason, "body_before": None, "body_after": None})
        return item


class FakeVendorKeys(_Fake):
    """exams' vendor keys: hashed, shown once, revocable."""

    methods = frozenset({"create_vendor_key", "list_vendor_keys", "revoke_vendor_key",
                         "authenticate_vendor_key"})

    def __init__(self):
        super().__init__()
        self.keys: dict[int, dict] = {}

    def issue(self, vendor="pearson_vue", label="test", staff="admin@certtrack.example") -> str:
        return self.create_vendor_key(vendor, label, staff)["key"]

    def create_vendor_key(self, vendor, label, staff):
        if " " in vendor:
            raise _remote("InvalidVendorKeyRequest", {"vendor": "Give the vendor as in its messages."})
        key = "ctv_" + secrets.token_urlsafe(32)
        key_id = len(self.keys) + 1
        self.keys[key_id] = {
            "id": key_id, "vendor": vendor, "label": label, "key_prefix": key[:8],
            "key_hash": hashlib.sha256(key.encode()).hexdigest(), "created_by": staff,
            "created_at": NOW, "revoked_by": None, "revoked_at": None, "last_used_at": None,
            "active": True,
        }
        return {"key": key, "vendor_key": self._view(self.keys[key_id])}

    def _view(self, row):
        return {name: value for name, value in row.items() if name != "key_hash"}

    def list_vendor_keys(self):
        return [self._view(row) for row in self.keys.values()]

    def revoke_vendor_key(self, key_id, staff):
        if key_id not in self.keys:
            raise _remote("VendorKeyNotFound", {"key_id": key_id})
        self.keys[key_id].update(revoked_at=NOW, revoked_by=staff, active=False)
        return self._view(self.keys[key_id])

    def authenticate_vendor_key(self, key):
        digest = hashlib.sha256(str(key).encode()).hexdigest()
        for row in self.keys.values():
            if row["key_hash"] == digest and row["active"]:
                row["last_used_at"] = NOW
                return {"vendor": row["vendor"], "key_id": row["id"]}
        raise _remote("InvalidVendorKey")


class StaffDesks:
    """The gateway's RPC client: dead letters per service, vendor keys on exams,
    everything else to `fallback` (e.g. the identity fake, for staff login)."""

    def __init__(self, fallback=None, unreachable=()):
        self.dead_letters = {"exams": FakeDeadLetters("exams"), "identity": FakeDeadLetters("identity")}
        self.vendor_keys = FakeVendorKeys()
        self.fallback = fallback
        self.unreachable = set(unreachable)

    def call(self, service: str, method: str, *args, **kwargs):
        assert not args, "called with named arguments"
        if service in self.unreachable:
            raise ServiceUnreachable(f"no {service} service is listening")
        if method in FakeDeadLetters.methods:
            if service not in self.dead_letters:
                raise MethodNotFound(method)  # a service without an archive
            return self.dead_letters[service].answer(method, kwargs)
        if service == "exams" and method in FakeVendorKeys.methods:
            return self.vendor_keys.answer(method, kwargs)
        if self.fallback is None:
            raise ServiceUnreachable(f"no {service} service is listening")
        return self.fallback.call(service, method, **kwargs)

    def close(self):
        pass
