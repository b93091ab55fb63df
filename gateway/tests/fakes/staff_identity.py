"""The staff side of identity, in memory, for the staff console's tests
(test_staff_console.py, test_staff_audit.py, test_staff_second_factor.py).

Sam (`STAFF`, `PASSWORD`) logs in with a password and a TOTP second factor
(`TOTP_SECRET`, enrolled unless a test clears `secret`); tickets and one
candidate are seeded. A domain error reaches the gateway as nameko delivers
it (`remote_error`: the error's name and JSON detail). Install it as
`app.extensions["rpc"]` (the `identity` fixture of test_staff_console.py does).
"""
from __future__ import annotations

import base64
import json

import pyotp
from nameko.exceptions import MethodNotFound, RemoteError

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
STAFF = {"id": 7, "email": "sam@certtrack.local", "name": "Sam Support", "role": "support"}
PASSWORD = "correct horse battery staple"
TOTP_SECRET = pyotp.random_base32(32)  # Sam's second factor, enrolled unless a test says otherwise


def remote_error(exc_type: str, detail: dict | None = None) -> RemoteError:
    """The error as nameko delivers a service's domain error: its name, its JSON detail."""
    return RemoteError(exc_type, json.dumps(detail or {}))


class StaffIdentity:
    """The staff side of identity (docs/decisions/0003-identity.md) over dicts."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.candidates = {
            "CSCO10000001": {
                "candidate_id": "CSCO10000001", "program": "cisco", "first_name": "Ada",
                "last_name": "Lovelace", "email": "ada@example.com", "has_password": True,
                "password_changed_at": None, "phone": "+44 20 7946 0000",
                "address": {"line1": "1 Analytical Row", "line2": None, "city": "London", "region": None,
                            "postal_code": "N1", "country": "GB"},
                "company": "Engines Ltd", "job_title": "Analyst", "preferred_language": "en",
                "netacad_id": None, "ccie_number": None, "ccde_number": None, "pending_email": None,
                "external_identities": [{"id": 1, "issuer": "https://sso.acme.example", "subject": "ada-42",
                                         "email": "ada@acme.example", "linked_at": "2026-11-01T10:00:00+00:00"}],
            },
        }
        self.tickets = {
            1: self._ticket(1, "approved", "2026-11-01T09:00:00+00:00", has_document=False),
            2: self._ticket(2, "open", "2026-11-03T09:00:00+00:00"),
            3: self._ticket(3, "open", "2026-11-02T09:00:00+00:00"),
        }

    @staticmethod
    def _ticket(ticket_id, status, created_at, has_document=True):
        return {
            "id": ticket_id, "candidate_id": "CSCO10000001", "kind": "name_change", "status": status,
            "requested_first_name": "Augusta Ada", "requested_last_name": f"King{ticket_id}",
            "reason": "Marriage", "has_document": has_document, "decision_reason": None,
            "created_at": created_at, "decided_at": None if status == "open" else "2026-11-02T12:00:00+00:00",
        }

    rpc_methods = frozenset({
        "staff_authenticate", "staff_verify_second_factor", "staff_start_second_factor_enrolment",
        "staff_confirm_second_factor_enrolment", "staff_list_tickets", "staff_get_ticket",
        "staff_get_ticket_document", "staff_decide_ticket", "staff_search_candidates", "staff_get_candidate",
        "list_tickets", "staff_create_candidate", "staff_set_attributes",
    })

    def call(self, service, method, *args, **kwargs):
        assert service == "identity" and not args, "identity is called with named arguments"
        if method not in self.rpc_methods:
            raise MethodNotFound(method)
        self.calls.append((method, kwargs))
        return getattr(self, method)(**kwargs)

    def close(self):
        pass

    def called(self, method):
        return [arguments for name, arguments in self.calls if name == method]

    # -- the methods ------------------------------------------------------------
    # identity's second factor, simplified: the current code counts once; "recovery-01" once.
    secret: str | None = TOTP_SECRET
    offered: str | None = None
    used: set = set()

    def _summary(self):
        return dict(STAFF, second_factor_enrolled=self.secret is not None)

    def staff_authenticate(self, email, password, client_address=None):
        if email == STAFF["email"] and password == PASSWORD:
            return self._summary()
        raise remote_error("InvalidCredentials")

    def _accepts(self, secret, code):
        if code in self.used or not (code == "recovery-01" or pyotp.TOTP(secret).verify(code)):
            return False
        self.used = self.used | {code}
        return True

    def staff_verify_second_factor(self, staff_id, code, client_address=None):
        if staff_id != STAFF["id"] or self.secret is None:
            raise remote_error("NotAuthorized")
        if not self._accepts(self.secret, code):
            raise remote_error("InvalidCredentials")
        return self._summary()

    def staff_start_second_factor_enrolment(self, staff_id):
        if self.secret is not None:
            raise remote_error("NotAuthorized")
        self.offered = pyotp.random_base32(32)
        return {"secret": self.offered,
                "provisioning_uri": pyotp.TOTP(self.offered).provisioning_uri(name=STAFF["email"], issuer_name="CertTrack staff")}

    def staff_confirm_second_factor_enrolment(self, staff_id, code, client_address=None):
        if self.secret is not None or self.offered is None:
            raise remote_error("NotAuthorized")
        if not self._accepts(self.offered, code):
            raise remote_error("InvalidCredentials")
        self.secret, self.offered = self.offered, None
        return {"staff": self._summary(), "recovery_codes": [f"abcde-{n:05d}" for n in range(10)]}

    def staff_list_tickets(self, status=None):
        return [t for t in self.tickets.values() if status in (None, t["status"])]

    def staff_get_ticket(self, ticket_id):
        if ticket_id not in self.tickets:
            raise remote_error("NotFound", {"resource": "ticket"})
        return self.tickets[ticket_id]

    def staff_get_ticket_document(self, ticket_id):
        if not self.staff_get_ticket(ticket_id)["has_document"]:
            raise remote_error("NotFound", {"resource": "document"})
        return {"filename": 'passport "scan".png', "content_type": "image/png",
                "data_b64": base64.b64encode(PNG).decode()}

    def staff_decide_ticket(self, ticket_id, staff_id, decision, reason=None):
        ticket = self.staff_get_ticket(ticket_id)
        if ticket["status"] != "open":
            raise remote_error("TicketAlreadyDecided", {"status": ticket["status"]})
        if reason and len(reason) > 2000:
            raise remote_error("InvalidDecision", {"reason": "Use at most 2000 characters."})
        ticket.update(status={"approve": "approved", "reject": "rejected"}[decision], decision_reason=reason,
                      has_document=False, decided_at="2026-11-04T09:00:00+00:00")
        return ticket

    def staff_search_candidates(self, query):
        query = query.lower()
        return [c for c in self.candidates.values()
                if query in (c["candidate_id"].lower(), c["email"]) or query in c["last_name"].lower()]

    def staff_get_candidate(self, candidate_id):
        if candidate_id not in self.candidates:
            raise remote_error("CandidateNotFound", {"candidate_id": candidate_id})
        return self.candidates[candidate_id]

    def list_tickets(self, candidate_id):
        return [t for t in self.tickets.values() if t["candidate_id"] == candidate_id]

    def staff_create_candidate(self, program, first_name, last_name, email):
        if any(c["email"] == email for c in self.candidates.values()):
            raise remote_error("EmailTaken", {"email": "Another candidate of the program has this email address."})
        created = dict(self.candidates["CSCO10000001"], candidate_id="CSCO10000002", program=program,
                       first_name=first_name, last_name=last_name, email=email, external_identities=[])
        self.candidates["CSCO10000002"] = created
        return created

    def staff_set_attributes(self, candidate_id, ccie_number=None, ccde_number=None):
        # identity's semantics: None leaves a number as it is, "" clears it.
        if ccie_number and not ccie_number.isdigit():
            raise remote_error("InvalidProfile", {"ccie_number": "A CCIE number is digits only."})
        candidate = self.staff_get_candidate(candidate_id)
        for name, value in (("ccie_number", ccie_number), ("ccde_number", ccde_number)):
            if value is not None:
                candidate[name] = value or None
        return candidate
