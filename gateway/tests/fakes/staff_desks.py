"""In-memory stand-ins for the dead-letter RPCs (`certtrack_shared.deadletters`,
on every service that consumes a queue) and exams' vendor-key RPCs (services/exams/exams/handlers/vendor_keys.py),
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
import re
import secrets
from datetime import datetime, timedelta, timezone

from nameko.exceptions import IncorrectSignature, MethodNotFound, RemoteError

from certtrack_shared.topology import consuming_services
from gateway.errors import ServiceUnreachable

NOW = "2026-11-25T10:00:00+00:00"
MAX_KEY_LIFETIME = timedelta(days=730)  # exams' vendor_keys.MAX_LIFETIME


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
        reason = str(reason or "").strip()
        if not reason:
            raise _remote("InvalidDeadLetterRequest", {"reason": "Say why the message is discarded."})
        if len(reason) > 2000:
            raise _remote("InvalidDeadLetterRequest", {"reason": "Keep the reason under 2000 characters."})
        item = self._held(dead_letter_id)
        item.update(status="discarded", resolved_by=staff, resolved_at=NOW, note=reason)
        item["audit"].append({"id": len(item["audit"]) + 1, "action": "discarded", "staff": staff,
                              "at": NOW, "note": reason, "body_before": None, "body_after": None})
        return item


class FakeVendorKeys(_Fake):
    """exams' vendor keys: hashed, shown once, scoped to a vendor and programs, expiring,
    revocable, audited. Expiry is judged by the real clock, as the service does."""

    methods = frozenset({"create_vendor_key", "list_vendor_keys", "revoke_vendor_key",
                         "authenticate_vendor_key"})

    def __init__(self):
        super().__init__()
        self.keys: dict[int, dict] = {}

    def issue(self, vendor="pearson_vue", programs=("cisco",), label="test",
              staff="admin@certtrack.example", expires_at=None) -> str:
        expires_at = expires_at or (_now() + timedelta(days=365)).isoformat()
        return self.create_vendor_key(vendor, label, list(programs), expires_at, staff)["key"]

    def expire(self, key_id: int) -> None:
        """As if the key's expiry had passed."""
        self.keys[key_id]["expires_at"] = (_now() - timedelta(seconds=1)).isoformat()

    def create_vendor_key(self, vendor, label, programs, expires_at, staff):
        problems = {"vendor": "Give the vendor as in its messages." if " " in vendor else None,
                    "programs": _scope_problem(programs), "expires_at": _expiry_problem(expires_at)}
        problems = {field: problem for field, problem in problems.items() if problem}
        if problems:
            raise _remote("InvalidVendorKeyRequest", problems)
        key = "ctv_" + secrets.token_urlsafe(32)
        key_id = len(self.keys) + 1
        programs = sorted({program.strip().lower() for program in programs})
        expires_at = datetime.fromisoformat(expires_at).astimezone(timezone.utc).isoformat()
        self.keys[key_id] = {
            "id": key_id, "vendor": vendor, "label": label, "key_prefix": key[:8],
            "key_hash": hashlib.sha256(key.encode()).hexdigest(), "programs": programs,
            "expires_at": expires_at, "created_by": staff, "created_at": NOW, "revoked_by": None,
            "revoked_at": None, "last_used_at": None,
            "history": [{"action": "created", "staff": staff, "at": NOW, "programs": programs,
                         "expires_at": expires_at}],
        }
        return {"key": key, "vendor_key": self._view(self.keys[key_id])}

    def _view(self, row):
        if row["revoked_at"]:
            status = "revoked"
        else:
            status = "expired" if _now() >= datetime.fromisoformat(row["expires_at"]) else "active"
        return {**{name: value for name, value in row.items() if name != "key_hash"},
                "status": status, "active": status == "active", "expired": status == "expired"}

    def list_vendor_keys(self):
        order = {"active": 0, "expired": 1, "revoked": 2}
        views = [self._view(row) for row in reversed(self.keys.values())]
        return sorted(views, key=lambda view: order[view["status"]])

    def revoke_vendor_key(self, key_id, staff):
        if key_id not in self.keys:
            raise _remote("VendorKeyNotFound", {"key_id": key_id})
        row = self.keys[key_id]
        if row["revoked_at"] is None:
            row.update(revoked_at=NOW, revoked_by=staff)
            row["history"].append({"action": "revoked", "staff": staff, "at": NOW, "programs": None,
                                   "expires_at": None})
        return self._view(row)

    def authenticate_vendor_key(self, key):
        digest = hashlib.sha256(str(key).encode()).hexdigest()
        for row in self.keys.values():
            if row["key_hash"] == digest and row["revoked_at"] is None:
                if self._view(row)["expired"]:
                    raise _remote("VendorKeyExpired", {"expired_at": row["expires_at"]})
                row["last_used_at"] = NOW
                return {"vendor": row["vendor"], "key_id": row["id"], "programs": row["programs"],
                        "expires_at": row["expires_at"]}
        raise _remote("InvalidVendorKey")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _scope_problem(programs) -> str | None:
    if not isinstance(programs, list) or not programs:
        return "Choose at least one program the key may post messages for."
    if not all(isinstance(program, str) and re.match(r"^[a-z0-9_]{1,60}$", program.strip().lower())
               for program in programs):
        return "Give each program by its code, as in messages' `program` field, e.g. cisco."
    return None


def _expiry_problem(expires_at) -> str | None:
    try:
        moment = datetime.fromisoformat(str(expires_at or ""))
    except ValueError:
        return "Give the expiry as a date and time with its time zone, e.g. 2027-12-01T00:00:00Z."
    if moment.tzinfo is None:
        return "Give the expiry's time zone (e.g. 2027-12-01T00:00:00Z): without it the moment is unclear."
    if moment <= _now():
        return "Choose an expiry in the future."
    if moment - _now() > MAX_KEY_LIFETIME:
        latest = _now() + MAX_KEY_LIFETIME
        return f"A key may live at most 2 years: choose an expiry no later than {latest:%Y-%m-%d %H:%M} UTC."
    return None


class StaffDesks:
    """The gateway's RPC client: dead letters per service, vendor keys on exams,
    everything else to `fallback` (e.g. the identity fake, for staff login)."""

    def __init__(self, fallback=None, unreachable=()):
        # Every service that consumes a queue keeps an archive, as the real ones do.
        self.dead_letters = {service: FakeDeadLetters(service) for service in consuming_services()}
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
