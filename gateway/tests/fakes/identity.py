"""An in-memory identity service for the gateway's unit tests.

It answers the candidate-side RPC methods of docs/decisions/0003-identity.md
with the real service's signatures and rules, and fails the way the real one
does over nameko: a domain error reaches the gateway as a `RemoteError`
whose `value` is the error's JSON detail, an unknown method as
`MethodNotFound`, wrong arguments as `IncorrectSignature`, and anything
that is not JSON as a serialisation error. Arguments and replies are copied
through JSON, so the gateway can keep no reference into its state.

Use it as `app.extensions["rpc"]` (the `fake_identity` fixture does).
Besides the RPC methods it has helpers for tests: `add_candidate`, `mails`
(every mail "sent", with its link token), `advance` (the clock) and `calls`.
"""
from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta, timezone

import pycountry
from email_validator import EmailNotValidError, validate_email
from certtrack_shared.errors import DomainError

from .rpc import FakeService


_DomainError = DomainError  # as the service's own base: one JSON object as detail


def _error(name: str) -> type[_DomainError]:
    return type(name, (_DomainError,), {})


InvalidCredentials = _error("InvalidCredentials")
TooManyAttempts = _error("TooManyAttempts")
CandidateNotFound = _error("CandidateNotFound")
NotFound = _error("NotFound")
LinkTokenInvalid = _error("LinkTokenInvalid")
WeakPassword = _error("WeakPassword")
ScoreReportNotMatched = _error("ScoreReportNotMatched")
EmailBelongsToAnotherCandidate = _error("EmailBelongsToAnotherCandidate")
InvalidProfile = _error("InvalidProfile")
EmailTaken = _error("EmailTaken")
CannotUnlinkLastLogin = _error("CannotUnlinkLastLogin")
ReauthenticationRequired = _error("ReauthenticationRequired")
ExternalIdentityTaken = _error("ExternalIdentityTaken")
InvalidDocument = _error("InvalidDocument")

VALIDITY = {"first_time": timedelta(hours=6), "password_reset": timedelta(hours=1),
            "email_confirmation": timedelta(hours=24)}
ACCOUNT_LIMIT, ADDRESS_LIMIT, WINDOW = 5, 20, timedelta(minutes=15)
SCORE_REPORT_NUMBER_LIMIT, SCORE_REPORT_ADDRESS_LIMIT, SCORE_REPORT_WINDOW = 5, 10, timedelta(hours=1)
MAGIC = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
LANGUAGES = ("en", "de", "es", "fr", "it", "ja", "ko", "pt", "ru", "zh")
REQUIRED = ("email", "phone", "address.line1", "address.city", "address.country", "preferred_language")
EDITABLE = {"email", "phone", "address", "company", "job_title", "preferred_language", "netacad_id"}
ADDRESS = ("line1", "line2", "city", "region", "postal_code", "country")
LIMITS = {"email": 254, "phone": 40, "company": 200, "job_title": 200, "preferred_language": 40,
          "netacad_id": 60, "line1": 200, "line2": 200, "city": 120, "region": 120, "postal_code": 30,
          "country": 60}
# The RPC methods of the candidate side (anything else is MethodNotFound).
RPC_METHODS = {
    "health", "authenticate", "find_by_external_identity", "start_first_time_by_email",
    "start_first_time_by_score_report", "inspect_link_token", "complete_first_time",
    "request_password_reset", "reset_password", "remind_candidate_id", "get_profile",
    "update_profile", "confirm_email", "unlink_external_identity", "open_name_change_ticket",
    "list_tickets", "credential_version", "change_password", "link_external_identity",
}


def normalize_email(value) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > 254:
        return None
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    masked = local[:1] + "*" * max(1, len(local) - 1) if len(local) <= 2 else local[0] + "*" * (len(local) - 2) + local[-1]
    return f"{masked}@{domain}"


class FakeIdentity(FakeService):
    service_name = "identity"
    rpc_methods = RPC_METHODS

    def __init__(self):
        self.now = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
        self.candidates: dict[str, dict] = {}
        self.registrations: list[tuple[str, str, str]] = []  # (number, last name, candidate ID)
        self.tokens: dict[str, dict] = {}
        self.identities: dict[int, dict] = {}
        self.tickets: dict[int, dict] = {}
        self.failures: list[tuple[str, str, datetime]] = []
        self.mails: list[dict] = []
        self.calls: list[tuple[str, dict]] = []
        self._numbers = iter(range(10000001, 99999999))


    # -- test helpers --------------------------------------------------------------
    def add_candidate(self, first_name="Ada", last_name="Lovelace", email="ada@example.com", *,
                      password=None, program="cisco", registration_number=None, complete=True, **fields):
        candidate_id = ("CSCO" if program == "cisco" else "JNPR") + str(next(self._numbers))
        record = {
            "candidate_id": candidate_id, "program": program, "first_name": first_name,
            "last_name": last_name, "email": email.lower(), "password": None, "password_changed_at": None,
            "phone": None, "address": dict.fromkeys(ADDRESS), "company": None, "job_title": None,
            "preferred_language": None, "netacad_id": None, "ccie_number": None, "ccde_number": None,
            "pending_email": None, "credential_version": 0,
        }
        if complete:
            record.update(phone="+44 20 7946 0000", preferred_language="en",
                          address={**record["address"], "line1": "1 Analytical Row", "city": "London", "country": "GB"})
        for key, value in fields.items():
            if key == "address":
                record["address"].update(value)
            else:
                assert key in record, key
                record[key] = value
        self.candidates[candidate_id] = record
        if password is not None:
            self._set_password(record, password)
        if registration_number:
            self.registrations.append((registration_number, last_name, candidate_id))
        return candidate_id

    def link_identity(self, candidate_id, issuer, subject, email=None) -> int:
        identity_id = len(self.identities) + 1
        self.identities[identity_id] = {"id": identity_id, "candidate_id": candidate_id, "issuer": issuer,
                                        "subject": subject, "email": email, "linked_at": self.now.isoformat()}
        return identity_id

    def advance(self, **delta):
        self.now += timedelta(**delta)

    def mails_to(self, address: str, kind: str | None = None) -> list[dict]:
        return [mail for mail in self.mails if mail["to"] == address.lower() and kind in (None, mail["kind"])]

    def called(self, method: str) -> list[dict]:
        return [arguments for name, arguments in self.calls if name == method]

    # -- logging in ----------------------------------------------------------------
    def health(self):
        return {"service": "identity", "database": "ok"}

    def authenticate(self, login, password, client_address=None):
        login = login.strip() if isinstance(login, str) else ""
        found = self._by_login(login)
        account = found[0]["candidate_id"] if len(found) == 1 else f"login:{login.lower()}"
        address = client_address or "unknown"
        recent = [f for f in self.failures if self.now - f[2] < WINDOW]
        if sum(f[0] == account for f in recent) >= ACCOUNT_LIMIT or sum(f[1] == address for f in recent) >= ADDRESS_LIMIT:
            raise TooManyAttempts({"retry_after_seconds": 540})
        for candidate in found:
            if candidate["password"] is not None and candidate["password"] == password:
                self.failures = [f for f in self.failures if f[0] != account]
                return self._summary(candidate)
        self.failures.append((account, address, self.now))
        raise InvalidCredentials()

    def find_by_external_identity(self, issuer, subject):
        for linked in self.identities.values():
            if (linked["issuer"], linked["subject"]) == (issuer, subject):
                return self._summary(self.candidates[linked["candidate_id"]])
        return None

    # -- first-time login and recovery ------------------------------------------------
    def start_first_time_by_email(self, email, program=None):
        address = normalize_email(email)
        for candidate in self.candidates.values():
            if address and candidate["email"] == address and program in (None, candidate["program"]):
                kind = "first_time" if candidate["password"] is None else "password_reset"
                self._mail_token(candidate, kind, candidate["email"])
        return None

    def start_first_time_by_score_report(self, last_name, registration_number, new_email,
                                         client_address=None):
        number = str(registration_number).strip()
        account, address_key = f"registration:{number.casefold()}", f"score:{client_address or 'unknown'}"
        recent = [f for f in self.failures if self.now - f[2] < SCORE_REPORT_WINDOW]
        if sum(f[0] == account for f in recent) >= SCORE_REPORT_NUMBER_LIMIT \
                or sum(f[1] == address_key for f in recent) >= SCORE_REPORT_ADDRESS_LIMIT:
            raise TooManyAttempts({"retry_after_seconds": 3000})
        address = normalize_email(new_email)
        if address is None:
            raise InvalidProfile({"new_email": "Enter a valid email address."})
        matched = next((self.candidates[cid] for number_, name, cid in self.registrations
                        if number_ == number
                        and str(last_name).strip().casefold() == self.candidates[cid]["last_name"].casefold()),
                       None)
        if matched is None:
            self.failures.append((account, address_key, self.now))
            raise ScoreReportNotMatched()
        if matched["password"] is not None:  # never moved: the new address is told to open a ticket
            self.mails.append({"to": address, "kind": "score_report_has_login", "token": None})
            return {"sent_to": mask_email(address)}
        if address != matched["email"]:
            owner = self._email_owner(matched["program"], address)
            if owner is not None and owner is not matched:
                raise EmailBelongsToAnotherCandidate({"new_email": "This email address belongs to another candidate record."})
            matched["email"] = address
            matched["credential_version"] += 1
        self._mail_token(matched, "first_time", address)
        return {"sent_to": mask_email(address)}

    def inspect_link_token(self, token, purpose):
        row, reason = self._look_up(token, purpose)
        if not reason and purpose == "first_time" and self.candidates[row["candidate_id"]]["password"] is not None:
            reason = "used"
        if reason:
            return {"valid": False, "reason": reason, "candidate_id": None, "first_name": None}
        candidate = self.candidates[row["candidate_id"]]
        return {"valid": True, "reason": None, "candidate_id": candidate["candidate_id"],
                "first_name": candidate["first_name"]}

    def complete_first_time(self, token, password):
        row = self._require(token, "first_time")
        candidate = self.candidates[row["candidate_id"]]
        if candidate["password"] is not None:
            raise LinkTokenInvalid({"reason": "used"})
        self._check_password(password, candidate)
        self._set_password(candidate, password)
        self._use(row)
        return self._summary(candidate)

    def request_password_reset(self, login):
        for candidate in self._by_login(login.strip() if isinstance(login, str) else ""):
            self._mail_token(candidate, "password_reset", candidate["email"])
        return None

    def reset_password(self, token, password):
        row = self._require(token, "password_reset")
        candidate = self.candidates[row["candidate_id"]]
        self._check_password(password, candidate)
        self._set_password(candidate, password)
        self._use(row)
        return self._summary(candidate)

    def remind_candidate_id(self, email):
        address = normalize_email(email)
        found = [c["candidate_id"] for c in self.candidates.values() if address and c["email"] == address]
        if found:
            self.mails.append({"to": address, "kind": "candidate_id_reminder", "candidate_ids": found, "token": None})
        return None

    # -- profile -------------------------------------------------------------------
    def get_profile(self, candidate_id):
        return self._profile(self._candidate(candidate_id))

    def update_profile(self, candidate_id, changes, current_password=None, recently_logged_in=False,
                       client_address=None):
        candidate = self._candidate(candidate_id)
        if not isinstance(changes, dict):
            raise InvalidProfile({"changes": "Send the fields to change as an object."})
        errors = {key: "This field cannot be changed." for key in changes if key not in EDITABLE}
        flat = {key: value for key, value in changes.items() if key in EDITABLE and key != "address"}
        address = changes.get("address") or {}
        if not isinstance(address, dict):
            errors["address"] = "This value is not valid."
            address = {}
        errors.update({f"address.{key}": "This field cannot be changed." for key in address if key not in ADDRESS})
        flat.update({f"address.{key}": value for key, value in address.items() if key in ADDRESS})
        merged = {"email": candidate["email"], **{k: candidate[k] for k in EDITABLE - {"email", "address"}},
                  **{f"address.{k}": v for k, v in candidate["address"].items()}}
        for field, value in flat.items():
            if value is not None and not isinstance(value, str):
                errors[field] = "This value is not valid."
                continue
            value = (value or "").strip() or None
            if value and len(value) > LIMITS[field.split(".")[-1]]:
                errors[field] = f"Use at most {LIMITS[field.split('.')[-1]]} characters."
            elif value and field == "email":
                value = normalize_email(value)
                if value is None:
                    errors[field] = "Enter a valid email address, e.g. name@example.com."
            elif value and field == "address.country":
                if pycountry.countries.get(alpha_2=value.upper()) is None:
                    errors[field] = "Choose a country from the list (ISO code such as US)."
                value = value.upper()
            elif value and field == "preferred_language" and value not in LANGUAGES:
                errors[field] = "Choose a language from the list."
            elif value and field == "phone" and not (6 <= sum(ch.isdigit() for ch in value) <= 20):
                errors[field] = "Enter a phone number with its country code, e.g. +1 408 555 0100."
            merged[field] = value
        for field in REQUIRED:
            if field not in errors and not merged[field]:
                errors[field] = "This field is required."
        if errors:
            raise InvalidProfile(errors)
        new_email = merged.pop("email")
        if new_email != candidate["email"]:
            self._reauthenticate(candidate, current_password, recently_logged_in)
            owner = self._email_owner(candidate["program"], new_email)
            if owner is not None:
                raise EmailTaken({"email": "This email address is already used by another candidate."})
            candidate["pending_email"] = new_email
            self._mail_token(candidate, "email_confirmation", new_email, email=new_email)
        for field, value in merged.items():
            if field.startswith("address."):
                candidate["address"][field.split(".", 1)[1]] = value
            else:
                candidate[field] = value
        return self._profile(candidate)

    def confirm_email(self, token):
        row = self._require(token, "email_confirmation")
        candidate = self.candidates[row["candidate_id"]]
        self._use(row)
        if self._email_owner(candidate["program"], row["email"]) not in (None, candidate):
            raise EmailTaken({"email": "This email address is already used by another candidate."})
        if candidate["email"] != row["email"]:
            candidate["credential_version"] += 1
        candidate["email"] = row["email"]
        if candidate["pending_email"] == row["email"]:
            candidate["pending_email"] = None
        return self._profile(candidate)

    def unlink_external_identity(self, candidate_id, identity_id, current_password=None,
                                 recently_logged_in=False, client_address=None):
        candidate = self._candidate(candidate_id)
        linked = self.identities.get(identity_id) if isinstance(identity_id, int) else None
        if linked is None or linked["candidate_id"] != candidate["candidate_id"]:
            raise NotFound({"resource": "external_identity"})
        others = [i for i in self.identities.values() if i["candidate_id"] == candidate_id and i is not linked]
        if candidate["password"] is None and not others:
            raise CannotUnlinkLastLogin()
        self._reauthenticate(candidate, current_password, recently_logged_in)
        del self.identities[identity_id]
        candidate["credential_version"] += 1
        return self._profile(candidate)

    # -- credentials (decision 0018) --------------------------------------------------
    def credential_version(self, candidate_id):
        candidate = self.candidates.get(candidate_id) if isinstance(candidate_id, str) else None
        return None if candidate is None else candidate["credential_version"]

    def change_password(self, candidate_id, new_password, current_password=None, recently_logged_in=False,
                        client_address=None):
        candidate = self._candidate(candidate_id)
        self._reauthenticate(candidate, current_password, recently_logged_in)
        self._check_password(new_password, candidate)
        self._set_password(candidate, new_password)
        return self._summary(candidate)

    def link_external_identity(self, candidate_id, external_identity):
        candidate = self._candidate(candidate_id)
        external = self._external(external_identity)
        found = self.find_by_external_identity(external["issuer"], external["subject"])
        if found is not None and found["candidate_id"] != candidate_id:
            raise ExternalIdentityTaken()
        if found is None:
            self.link_identity(candidate_id, external["issuer"], external["subject"], external["email"])
            candidate["credential_version"] += 1
        return self._profile(candidate)

    @staticmethod
    def _reauthenticate(candidate, current_password, recently_logged_in):
        if recently_logged_in is True:
            return
        if not current_password or current_password != candidate["password"]:
            raise ReauthenticationRequired({"current_password": "Enter your current password to make this change."})

    # -- tickets -------------------------------------------------------------------
    def open_name_change_ticket(self, candidate_id, first_name, last_name, reason, document):
        candidate = self._candidate(candidate_id)
        first, last = (first_name or "").strip(), (last_name or "").strip()
        errors = {name: "This field is required." for name, value in (("first_name", first), ("last_name", last)) if not value}
        if not errors and (first, last) == (candidate["first_name"], candidate["last_name"]):
            errors["last_name"] = "This is already the name on your record."
        if errors:
            raise InvalidProfile(errors)
        if not isinstance(document, dict) or not isinstance(document.get("data_b64"), str) \
                or not isinstance(document.get("filename"), str):
            raise InvalidDocument({"document": "Upload a PDF, JPEG or PNG file."})
        data = base64.b64decode(document["data_b64"], validate=True)
        if len(data) > MAX_DOCUMENT_BYTES:
            raise InvalidDocument({"document": "The file is larger than 5 MB; upload a smaller scan."})
        if not any(data.startswith(magic) for magic in MAGIC):
            raise InvalidDocument({"document": "Upload a PDF, JPEG or PNG file."})
        ticket_id = len(self.tickets) + 1
        self.tickets[ticket_id] = {
            "id": ticket_id, "candidate_id": candidate["candidate_id"], "kind": "name_change", "status": "open",
            "requested_first_name": first, "requested_last_name": last, "reason": (reason or "").strip() or None,
            "has_document": True, "decision_reason": None, "created_at": self.now.isoformat(), "decided_at": None,
            "document": data, "filename": document["filename"],
        }
        return self._ticket(self.tickets[ticket_id])

    def list_tickets(self, candidate_id):
        self._candidate(candidate_id)
        return [self._ticket(t) for t in self.tickets.values() if t["candidate_id"] == candidate_id]

    # -- inside ----------------------------------------------------------------------
    def _candidate(self, candidate_id) -> dict:
        candidate = self.candidates.get(str(candidate_id).strip().upper()) if isinstance(candidate_id, str) else None
        if candidate is None:
            raise CandidateNotFound({"candidate_id": str(candidate_id)[:40]})
        return candidate

    def _by_login(self, login: str) -> list[dict]:
        if login.upper() in self.candidates:
            return [self.candidates[login.upper()]]
        address = normalize_email(login)
        return [c for c in self.candidates.values() if address and c["email"] == address]

    def _email_owner(self, program, address):
        return next((c for c in self.candidates.values() if c["program"] == program and c["email"] == address), None)

    def _external(self, external_identity):
        if external_identity is None:
            return None
        if not isinstance(external_identity, dict) or not external_identity.get("issuer") \
                or not external_identity.get("subject"):
            raise InvalidProfile({"issuer": "This field is required."})
        return {"issuer": external_identity["issuer"], "subject": external_identity["subject"],
                "email": external_identity.get("email")}

    def _mail_token(self, candidate, purpose, to, external=None, email=None):
        token = secrets.token_urlsafe(32)
        self.tokens[token] = {"purpose": purpose, "candidate_id": candidate["candidate_id"], "email": email,
                              "external": external, "expires_at": self.now + VALIDITY[purpose], "used_at": None}
        self.mails.append({"to": to, "kind": purpose, "token": token, "candidate_id": candidate["candidate_id"]})

    def _look_up(self, token, purpose):
        row = self.tokens.get(token) if isinstance(token, str) else None
        if row is None or row["purpose"] != purpose or purpose not in VALIDITY:
            return None, "unknown"
        if row["used_at"] is not None:
            return row, "used"
        if row["expires_at"] <= self.now:
            return row, "expired"
        return row, None

    def _require(self, token, purpose):
        row, reason = self._look_up(token, purpose)
        if reason:
            raise LinkTokenInvalid({"reason": reason})
        return row

    def _use(self, row):
        for other in self.tokens.values():
            if other["candidate_id"] == row["candidate_id"] and other["purpose"] == row["purpose"] and other["used_at"] is None:
                other["used_at"] = self.now

    @staticmethod
    def _check_password(password, candidate):
        if not isinstance(password, str) or len(password) < 12:
            raise WeakPassword({"password": "Use at least 12 characters."})
        if len(password) > 128:
            raise WeakPassword({"password": "Use at most 128 characters."})
        if password.casefold() in ("qwerty123456", "1qaz2wsx3edc", "123456789012"):  # identity's list, in short
            raise WeakPassword({"password": "This is one of the 100,000 most common passwords: choose another."})
        if candidate["candidate_id"].casefold() in password.casefold():
            raise WeakPassword({"password": "The password must not contain your candidate ID."})
        if candidate["email"].casefold() in password.casefold():
            raise WeakPassword({"password": "The password must not contain your email address or the part before the @."})

    def _set_password(self, candidate, password):
        candidate["password"] = password
        # A moment later than any earlier change, as the real clock would give.
        self.now += timedelta(seconds=1)
        candidate["password_changed_at"] = self.now.isoformat()
        candidate["credential_version"] += 1

    @staticmethod
    def _summary(candidate) -> dict:
        return {key: candidate[key] for key in ("candidate_id", "program", "first_name", "last_name", "email",
                                                "password_changed_at", "credential_version")} | {
            "has_password": candidate["password"] is not None}

    def _profile(self, candidate) -> dict:
        keys = ("phone", "company", "job_title", "preferred_language", "netacad_id", "ccie_number",
                "ccde_number", "pending_email")
        return self._summary(candidate) | {key: candidate[key] for key in keys} | {
            "address": dict(candidate["address"]),
            "external_identities": [
                {key: linked[key] for key in ("id", "issuer", "subject", "email", "linked_at")}
                for linked in self.identities.values() if linked["candidate_id"] == candidate["candidate_id"]
            ],
        }

    @staticmethod
    def _ticket(ticket) -> dict:
        return {key: value for key, value in ticket.items() if key not in ("document", "filename")}


# -- driving the candidate site in tests -------------------------------------------------
def csrf_token(page: str) -> str:
    """The CSRF token of the first form on an HTML page."""
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def submit(client, path: str, data: dict | None = None, *, form_page: str | None = None, **kwargs):
    """POST `data` to `path` with the CSRF token of `form_page` (default: `path` itself)."""
    page = client.get(form_page or path).get_data(as_text=True)
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(page)}, **kwargs)


def log_in(client, login: str, password: str):
    response = submit(client, "/login", {"login": login, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response
