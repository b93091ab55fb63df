"""An in-memory certs service for the gateway's unit tests.

It answers the RPC interface of the certs service (services/certs/certs/service.py
and schemas.py) with the same signatures and reply shapes, and imports
nothing of certs: every reply the gateway reads as a model goes through certs'
published model (certtrack_shared.interfaces.certs), as the service's does. The standings are not invented: they are canned in
`certs.json` beside this file, one scenario per set of facts the tests use
(a candidate's sittings and approved activities, as of 25 Nov 2026), with
the standings certs' rules engine gives for them over the shipped catalogs,
and the catalogs as staff see them. certs' own test
(services/certs/tests/test_gateway_fake_data.py) checks that file against
the real engine and catalogs and rewrites it, so the pages are tested
against real wording ("Pass one of 300-410, …", "30 CE credits") and dates.
A test that needs new facts adds a scenario there.

What the fake keeps simple: certificate codes, logos and PDFs are small
stand-ins of the right type (the gateway only passes them through), and
documents are checked by their first bytes as the service does.

Candidates come from the identity fake (their program and name), so a test
logs in with `fake_identity` and adds facts here. Test helpers: `pass_exam`,
`fail_exam`, `add_activity`, `revoke_credential`, `called`, `catalog_problem`.

Digital badges: a credential is a compact JWS of the right shape whose
signature is a stand-in; `verify_credential` knows the ones it issued (in
text, or inside a PNG or SVG baked as certs bakes), nothing else.
"""
from __future__ import annotations

import base64
import functools
import binascii
import hashlib
import json
import uuid
import zlib
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

from certtrack_shared.errors import DomainError, FieldErrors
from certtrack_shared.interfaces import certs as published

from .rpc import FakeService

CANNED = Path(__file__).with_name("certs.json")


def _error(name: str, *bases) -> type[DomainError]:
    return type(name, (*bases, DomainError), {})


CandidateNotFound = _error("CandidateNotFound")
CertificationNotFound = _error("CertificationNotFound")
CertificateNotFound = _error("CertificateNotFound")
ActivityNotFound = _error("ActivityNotFound")
CertificationNotActive = _error("CertificationNotActive")
AgreementRequired = _error("AgreementRequired")
AgreementVersionMismatch = _error("AgreementVersionMismatch")
InvalidSubmission = _error("InvalidSubmission", FieldErrors)
ActivityAlreadyReviewed = _error("ActivityAlreadyReviewed")
InvalidReview = _error("InvalidReview", FieldErrors)
CatalogInvalid = _error("CatalogInvalid")
InvalidRequest = _error("InvalidRequest", FieldErrors)
CredentialNotFound = _error("CredentialNotFound")

RPC_METHODS = {
    "health", "certifications", "certification", "continuing_education", "submit_ce_activity",
    "certification_agreement", "accept_certification_agreement", "logo", "certificate_pdf",
    "verify_certificate", "ce_review_queue", "ce_activity", "ce_activity_document", "approve_ce_activity",
    "reject_ce_activity", "catalog", "reload_catalog", "publish_certification_agreement",
    "certification_agreement_versions",
    "candidate_credentials", "credential_download", "credential_issuer", "credential_key", "credential_achievement",
    "credential_achievement_image", "credential_status_list", "verify_credential",
}
STATUS_ORDER = {"active": 0, "in_progress": 1, "expired": 2, "revoked": 3}
LEVEL_RANK = {"entry": 0, "associate": 1, "specialist": 2, "professional": 3, "expert": 4}
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
DOCUMENT_TYPES = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))
# A real 1×1 PNG: the gateway passes bytes through, a test may still open it.
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
# Digital badges: the one public key of each program's ring, and what a download may be.
KEY_ID = "fake-thumbprint_0123456789"
BADGE_TYPES = {"json": "application/json", "jwt": "application/vc+jwt", "png": "image/png",
               "svg": "image/svg+xml"}
SITE_URL = "http://localhost:8000"


def _b64url(value) -> str:
    text = value if isinstance(value, bytes) else json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def _payload(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


def _bake_png(token: str) -> bytes:
    """PNG_1X1 with the credential in an `iTXt` chunk `openbadgecredential` before IEND (OB 3.0 baking)."""
    data = b"openbadgecredential\x00\x00\x00\x00\x00" + token.encode()
    chunk = len(data).to_bytes(4, "big") + b"iTXt" + data + zlib.crc32(b"iTXt" + data).to_bytes(4, "big")
    return PNG_1X1[:-12] + chunk + PNG_1X1[-12:]


@functools.lru_cache(maxsize=1)
def _canned() -> dict:
    """certs.json, read once per test run (never changed by the fake)."""
    return json.loads(CANNED.read_text(encoding="utf-8"))


def _reply(model, value):
    """`value` as certs answers it: through certs' published model, so the fake cannot answer a
    shape the service would not."""
    return model.model_validate(value).model_dump(mode="json")


def _facts_key(program: str, sittings, approved) -> str:
    return json.dumps([program, sorted(sittings), sorted(approved, key=json.dumps)])


@functools.lru_cache(maxsize=1)
def _scenarios() -> dict[str, list[dict]]:
    """The canned scenarios by their facts: each one's standings in catalog order."""
    canned = _canned()
    return {_facts_key(s["program"], s["sittings"], s["approved"]):
            [canned["standings"][ref] for ref in s["certifications"]] for s in canned["scenarios"]}


def _touched(standing: dict) -> bool:
    return standing["status"] != "in_progress" or any(p["sitting_ids"] or p["course_ids"]
                                                      for p in standing["progress"])


class FakeCerts(FakeService):
    service_name = "certs"
    rpc_methods = RPC_METHODS

    def __init__(self, identity):
        self.identity = identity  # the FakeIdentity whose candidates these are
        self.today = date.fromisoformat(_canned()["today"])  # the day of the canned standings
        self.now = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
        self.programs = _canned()["programs"]
        self.loaded_at = self.now.isoformat()
        self.sittings: dict[str, list[list]] = {}  # candidate → [exam code, taken on, passed, revoked]
        self.activities: list[dict] = []
        self.agreements: dict[str, list[dict]] = {
            "cisco": [{"version": 1, "title": "Cisco Certification and Logo Agreement",
                       "body": "Use the logos only while certified.\n\nDo not alter the certificate."}],
            "juniper": [{"version": 1, "title": "Juniper Networks Certification Agreement",
                         "body": "Certificates remain Juniper's property."}],
        }
        self.acceptances: dict[tuple[str, int], str] = {}  # (candidate, version) → accepted_at
        self.codes: dict[str, tuple[str, str]] = {}  # certificate code → (candidate, certification)
        self.catalog_problem: str | None = None  # makes reload_catalog refuse with this message
        self.calls: list[tuple[str, dict]] = []
        self.tokens: dict[str, tuple[str, str]] = {}  # issued credential → (candidate, certification)
        self.revoked: set[str] = set()  # credentials whose status bit is set (`revoke_credential`)

    # -- test helpers ---------------------------------------------------------------------
    def pass_exam(self, candidate_id: str, exam_code: str, taken_on: str, *, passed=True, revoked=False) -> int:
        own = self.sittings.setdefault(candidate_id, [])
        own.append([exam_code, taken_on, passed, revoked])
        return sum(len(s) for s in self.sittings.values())

    def fail_exam(self, candidate_id: str, exam_code: str, taken_on: str) -> int:
        return self.pass_exam(candidate_id, exam_code, taken_on, passed=False)

    def add_activity(self, candidate_id: str, *, title="Cisco Live session", provider="Cisco Live",
                     completed_on="2026-10-01", kind="ce", certification_id=None, status="pending",
                     credits=None, reason=None) -> dict:
        activity = {
            "id": len(self.activities) + 1, "kind": kind, "title": title, "provider": provider,
            "completed_on": completed_on, "certification_id": certification_id, "credits": credits,
            "status": status, "reason": reason, "submitted_at": self.now.isoformat(),
            "reviewed_at": self.now.isoformat() if status != "pending" else None,
            "candidate_id": candidate_id, "document": {"filename": "certificate.pdf",
                                                       "content_type": "application/pdf",
                                                       "data": b"%PDF-1.4 attendance"},
        }
        self.activities.append(activity)
        return self._activity(activity)

    def revoke_credential(self, candidate_id: str, certification_id: str) -> None:
        self.revoked.add(self._token(candidate_id, self.certification(candidate_id, certification_id)))

    def called(self, method: str) -> list[dict]:
        return [arguments for name, arguments in self.calls if name == method]

    # -- candidate ------------------------------------------------------------------------
    def health(self):
        return {"service": "certs", "database": "ok"}

    def certifications(self, candidate_id):
        program = self._program(candidate_id)
        standings = [self._standing(candidate_id, s) for s in self._evaluate(candidate_id) if _touched(s)]
        standings.sort(key=lambda s: (STATUS_ORDER[s["status"]], -LEVEL_RANK[s["level"]]))
        agreement = self.certification_agreement(candidate_id)
        return _reply(published.CandidateCertifications, {
            "candidate_id": candidate_id, "program": program, "as_of": self.today.isoformat(),
            "agreement": {"version": agreement["version"], "accepted": not agreement["needs_acceptance"],
                          "accepted_at": agreement["accepted_at"]},
            "items": standings,
        })

    def certification(self, candidate_id, certification_id):
        for standing in self._evaluate(candidate_id):
            if standing["id"] == certification_id:
                return self._standing(candidate_id, standing)
        raise CertificationNotFound({"message": "No such certification in your program.",
                                     "certification_id": certification_id})

    def continuing_education(self, candidate_id):
        program = self.programs[self._program(candidate_id)]
        active = [s for s in self._evaluate(candidate_id) if s["status"] == "active"]
        # Every active certification, as the service lists them: each path and what it still needs.
        balances = [self._renewal(s, s["id"] in program["renews_with_ce"]) for s in active]
        courses = [{"certification_id": s["id"], "name": s["name"]} for s in active
                   if s["id"] in program["renews_by_course"]]
        own = [a for a in self.activities if a["candidate_id"] == candidate_id]
        own.sort(key=lambda a: (a["submitted_at"], a["id"]), reverse=True)
        return _reply(published.ContinuingEducation, {
            "balances": balances, "items": [self._activity(a) for a in own], "course_certifications": courses})

    def submit_ce_activity(self, candidate_id, title, provider, completed_on, kind, certification_id=None,
                           document=None):
        program = self.programs[self._program(candidate_id)]
        problems = {}
        if not str(title or "").strip():
            problems["title"] = "Enter the activity's title."
        if not str(provider or "").strip():
            problems["provider"] = "Enter who provided it."
        try:
            day = date.fromisoformat(str(completed_on))
        except ValueError:
            problems["completed_on"] = "Enter the completion date."
        else:
            if day > self.today:
                problems["completed_on"] = "The completion date cannot be in the future."
            elif day < self.today - timedelta(days=90):
                problems["completed_on"] = "Submit an activity within 90 days of its completion."
        if kind not in ("ce", "course"):
            problems["kind"] = "Choose continuing education or a course completion."
        elif kind == "course":
            if certification_id not in program["renews_by_course"]:
                problems["certification_id"] = "Choose the certification the course renews."
        data = base64.b64decode((document or {}).get("data_b64") or "")
        content_type = next((kind_ for magic, kind_ in DOCUMENT_TYPES if data.startswith(magic)), None)
        if content_type is None:
            problems["document"] = "The document must be a PDF, JPEG or PNG file."
        elif len(data) > MAX_DOCUMENT_BYTES:
            problems["document"] = "The document must be at most 5 MB."
        if problems:
            raise InvalidSubmission({**problems, "message": "Some details of the activity are not valid."})
        activity = {
            "id": len(self.activities) + 1, "kind": kind, "title": title.strip(), "provider": provider.strip(),
            "completed_on": completed_on, "certification_id": certification_id if kind == "course" else None,
            "credits": None, "status": "pending", "reason": None, "submitted_at": self.now.isoformat(),
            "reviewed_at": None, "candidate_id": candidate_id,
            "document": {"filename": document["filename"], "content_type": content_type, "data": data},
        }
        self.activities.append(activity)
        return self._activity(activity)

    def certification_agreement(self, candidate_id):
        versions = self.agreements[self._program(candidate_id)]
        current = versions[-1] if versions else {"version": None, "title": None, "body": None}
        accepted = [(version, at) for (who, version), at in self.acceptances.items() if who == candidate_id]
        latest = max(accepted) if accepted else (None, None)
        return _reply(published.CertificationAgreement, {
            **current, "accepted_version": latest[0], "accepted_at": latest[1],
            "needs_acceptance": bool(versions) and latest[0] != current["version"]})

    def accept_certification_agreement(self, candidate_id, version):
        versions = self.agreements[self._program(candidate_id)]
        if not versions or version != versions[-1]["version"]:
            raise AgreementVersionMismatch({"message": "That is not the current agreement.",
                                            "current_version": versions[-1]["version"] if versions else None})
        self.acceptances.setdefault((candidate_id, version), self.now.isoformat())
        return self.certification_agreement(candidate_id)

    def logo(self, candidate_id, certification_id, format):
        standing = self._downloadable(candidate_id, certification_id)
        if format == "svg":
            svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="240" height="80"><text x="10" y="50">'
                   f'{standing["name"]}</text></svg>')
            return self._payload(f"{certification_id}-logo.svg", "image/svg+xml", svg.encode())
        return self._payload(f"{certification_id}-logo.png", "image/png", PNG_1X1)

    def certificate_pdf(self, candidate_id, certification_id):
        standing = self._downloadable(candidate_id, certification_id)
        text = f"%PDF-1.4\n% {standing['name']} {standing['certificate_code']}\n%%EOF\n"
        return self._payload(f"{certification_id}-certificate.pdf", "application/pdf", text.encode())

    # -- public ---------------------------------------------------------------------------
    def verify_certificate(self, code):
        if code not in self.codes:
            raise CertificateNotFound({"message": "No certificate has this code."})
        candidate_id, certification_id = self.codes[code]
        standing = self.certification(candidate_id, certification_id)
        person = self.identity.candidates[candidate_id]
        periods = [{"active_on": entry["on"], "expires_on": entry["expires_on"],
                    "revoked": standing["status"] == "revoked"}
                   for entry in standing["history"] if entry["event"] in ("achieved", "recertified")]
        token = self._token(candidate_id, standing) if standing["status"] == "active" else None
        return _reply(published.CertificateVerification, {
            "certificate_code": code, "candidate_name": f"{person['first_name']} {person['last_name']}",
            "certification_id": certification_id, "certification_name": standing["name"],
            "status": standing["status"], "active_on": standing["active_on"],
            "expires_on": standing["expires_on"], "generated_at": self.now.isoformat(),
            "first_awarded_on": periods[0]["active_on"] if periods else standing["active_on"],
            "periods": periods, "badge": self.verify_credential(credential=token) if token else None})

    # -- digital badges -------------------------------------------------------------------
    def candidate_credentials(self, candidate_id):
        program = self._program(candidate_id)
        items = []
        for standing in self._evaluate(candidate_id):
            if standing["status"] != "active":
                continue
            token = self._token(candidate_id, standing)
            url = f"{SITE_URL}/verify/certificate/{self._code(candidate_id, standing['id'])}"
            credential_id = _payload(token)["id"]
            organization = self.programs[program]["catalog"]["name"]
            active, ends = date.fromisoformat(standing["active_on"]), standing["expires_on"]
            last_day = date.fromisoformat(ends) - timedelta(days=1) if ends else None
            linkedin = {"startTask": "CERTIFICATION_NAME", "name": standing["name"], "organizationName": organization,
                        "issueYear": active.year, "issueMonth": active.month,
                        **({"expirationYear": last_day.year, "expirationMonth": last_day.month} if last_day else {}),
                        "certUrl": url, "certId": credential_id}
            items.append(_reply(published.CandidateCredential, {
                "certification_id": standing["id"], "certification_name": standing["name"], "program": program,
                "issuer_name": organization, "format": "vc+jwt", "credential": token, "credential_id": credential_id,
                "verification_url": url, "valid_from": standing["active_on"], "valid_until": ends,
                "linkedin_url": "https://www.linkedin.com/profile/add?" + urlencode(linkedin)}))
        return items

    def credential_download(self, candidate_id, certification_id, format):
        if format not in BADGE_TYPES:
            raise CredentialNotFound({"format": "Choose json, jwt, png or svg."})
        found = next((item for item in self.candidate_credentials(candidate_id)
                      if item["certification_id"] == certification_id), None)
        if found is None:
            raise CredentialNotFound({"certification_id": "This certification has no active credential."})
        token = found["credential"]
        content = {
            "json": lambda: json.dumps(_payload(token), indent=2).encode(),
            "jwt": token.encode,
            "png": lambda: _bake_png(token),
            "svg": lambda: ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges='
                            f'"https://purl.imsglobal.org/ob/v3p0"><openbadges:credential verify="{token}"/>'
                            f'<text x="10" y="50">{found["certification_name"]}</text></svg>').encode(),
        }[format]()
        return self._payload(f"{certification_id}-badge.{format}", BADGE_TYPES[format], content)

    def credential_issuer(self, program):
        catalog = self._issuer(program)
        base = f"{SITE_URL}/credentials/issuers/{program}"
        return {"@context": ["https://www.w3.org/ns/credentials/v2",
                             "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
                "id": base, "type": ["Profile"], "name": catalog["name"], "url": SITE_URL,
                "verificationMethod": [{"id": f"{base}/keys/{KEY_ID}", "type": "JsonWebKey",
                                        "controller": base, "publicKeyJwk": self.credential_key(program, KEY_ID)}]}

    def credential_key(self, program, key_id):
        self._issuer(program)
        if key_id != KEY_ID:
            raise CredentialNotFound({"key": "No such key."})
        return {"kty": "EC", "crv": "P-256", "x": _b64url(b"x" * 32), "y": _b64url(b"y" * 32), "kid": KEY_ID}

    def credential_achievement(self, program, certification_id):
        certification = self._achievement(program, certification_id)
        base = f"{SITE_URL}/credentials/issuers/{program}/achievements/{certification_id}"
        return {"id": base, "type": ["Achievement"], "achievementType": "Certification",
                "name": certification["name"], "image": {"id": f"{base}/image.png", "type": "Image"}}

    def credential_achievement_image(self, program, certification_id):
        self._achievement(program, certification_id)
        return base64.b64encode(PNG_1X1).decode()

    def credential_status_list(self, program, number):
        self._issuer(program)
        if number != 1:
            raise CredentialNotFound({"status_list": f"{program} has no status list {number}"})
        revoked = sorted(self.tokens[token][1] for token in self.revoked)
        payload = {"type": ["VerifiableCredential", "BitstringStatusListCredential"], "revoked": revoked}
        return ".".join([_b64url({"alg": "ES256", "typ": "vc+jwt"}), _b64url(payload), "c2lnbmF0dXJl"])

    def verify_credential(self, credential=None, image_base64=None):
        if image_base64:
            try:
                submitted = base64.b64decode(image_base64, validate=True).decode("latin-1")
            except (binascii.Error, ValueError):
                return _reply(published.CredentialCheck,
                              {"verified": False, "status": None, "errors": ["the image did not arrive as base64"]})
        else:
            submitted = credential if isinstance(credential, str) else ""
        # The JSON download carries no signature: it is known by its credential id, as certs knows it.
        token = next((token for token in self.tokens
                      if token in submitted or f'"{_payload(token)["id"]}"' in submitted), None)
        if token is None:
            return _reply(published.CredentialCheck, {
                "verified": False, "status": None,
                "errors": ["not a credential: expected a JWT, JSON or a PNG or SVG badge"]})
        return _reply(published.CredentialCheck,
                      {"verified": True, "status": "revoked" if token in self.revoked else "active", "errors": []})

    # -- staff ----------------------------------------------------------------------------
    def ce_review_queue(self):
        pending = [a for a in self.activities if a["status"] == "pending"]
        return [self._for_staff(a) for a in sorted(pending, key=lambda a: (a["submitted_at"], a["id"]))]

    def ce_activity(self, activity_id):
        return self._for_staff(self._find(activity_id))

    def ce_activity_document(self, activity_id):
        document = self._find(activity_id)["document"]
        return self._payload(document["filename"], document["content_type"], document["data"])

    def approve_ce_activity(self, activity_id, credits=None, staff=None):
        activity = self._reviewable(activity_id)
        if activity["kind"] == "ce":
            if not isinstance(credits, int) or isinstance(credits, bool) or not 1 <= credits <= 200:
                raise InvalidReview({"credits": "Give between 1 and 200 credits.", "message": "Invalid review."})
            activity["credits"] = credits
        activity.update(status="approved", reviewed_at=self.now.isoformat())
        return self._activity(activity)

    def reject_ce_activity(self, activity_id, reason=None, staff=None):
        activity = self._reviewable(activity_id)
        if not str(reason or "").strip():
            raise InvalidReview({"reason": "Say why the activity is rejected.", "message": "Invalid review."})
        activity.update(status="rejected", reason=reason.strip(), reviewed_at=self.now.isoformat())
        return self._activity(activity)

    def catalog(self):
        return {"programs": [{**program["catalog"], "loaded_at": self.loaded_at}
                             for _, program in sorted(self.programs.items())]}

    def reload_catalog(self, staff):
        if self.catalog_problem:
            raise CatalogInvalid({"message": self.catalog_problem})
        self.loaded_at = self.now.isoformat()
        return {"programs": sorted(self.programs), "candidates_reevaluated": len(self.sittings), "changes": 0}

    def publish_certification_agreement(self, program, title, body, staff):
        if program not in self.agreements:
            raise InvalidRequest({"program": "No such program.", "message": "No such program."})
        if len(title.strip()) > 300:
            raise InvalidRequest({"title": "Use at most 300 characters.", "message": "Check the highlighted fields."})
        versions = self.agreements[program]
        versions.append({"version": len(versions) + 1, "title": title.strip(), "body": body.strip(),
                         "published_at": self.now.isoformat(), "published_by": staff})
        return {"program": program, **versions[-1]}

    def certification_agreement_versions(self):
        names = {"cisco": "Cisco", "juniper": "Juniper"}
        return {"programs": [
            {"program": program, "name": names.get(program, program), "current_version": len(versions),
             "versions": [{"program": program, "version": v["version"], "title": v["title"], "body": v["body"],
                           "published_at": v.get("published_at", "2026-01-01T00:00:00+00:00"),
                           "published_by": v.get("published_by")} for v in reversed(versions)]}
            for program, versions in sorted(self.agreements.items())]}

    # -- inside ---------------------------------------------------------------------------
    def _token(self, candidate_id, standing: dict) -> str:
        """The candidate's credential of the standing's current period: a compact JWS of the right shape."""
        seed = f"{candidate_id}/{standing['id']}/{standing['active_on']}"
        payload = {"id": f"urn:uuid:{uuid.UUID(bytes=hashlib.sha256(seed.encode()).digest()[:16])}",
                   "type": ["VerifiableCredential", "OpenBadgeCredential"], "validFrom": standing["active_on"],
                   "validUntil": standing["expires_on"], "achievement": standing["id"]}
        header = {"alg": "ES256", "typ": "vc+jwt",
                  "kid": f"{SITE_URL}/credentials/issuers/{self._program(candidate_id)}/keys/{KEY_ID}"}
        token = ".".join([_b64url(header), _b64url(payload), _b64url(hashlib.sha256(seed.encode()).digest())])
        self.tokens[token] = (candidate_id, standing["id"])
        return token

    def _issuer(self, program) -> dict:
        if program not in self.programs:
            raise CredentialNotFound({"program": "No such issuer."})
        return self.programs[program]["catalog"]

    def _achievement(self, program, certification_id) -> dict:
        found = next((c for c in self._issuer(program)["certifications"] if c["id"] == certification_id), None)
        if found is None:
            raise CredentialNotFound({"certification_id": "No such achievement."})
        return found

    def _program(self, candidate_id) -> str:
        person = self.identity.candidates.get(candidate_id)
        if person is None:
            raise CandidateNotFound({"message": "No such candidate.", "candidate_id": candidate_id})
        return person["program"]

    def _evaluate(self, candidate_id) -> list[dict]:
        """The canned standings of the candidate's facts, in catalog order."""
        program = self._program(candidate_id)
        approved = [[a["kind"], a["credits"], a["completed_on"], a["certification_id"]]
                    for a in self.activities if a["candidate_id"] == candidate_id and a["status"] == "approved"]
        key = _facts_key(program, self.sittings.get(candidate_id, []), approved)
        if key not in _scenarios():
            raise LookupError(f"no canned standings for {key}: add the scenario to gateway/tests/fakes/certs.json "
                              "as services/certs/tests/test_gateway_fake_data.py says")
        return _scenarios()[key]

    def _standing(self, candidate_id, standing: dict) -> dict:
        ever_active = any(entry["event"] in ("achieved", "recertified") for entry in standing["history"]) \
            or standing["status"] in ("active", "expired")
        code = self._code(candidate_id, standing["id"]) if ever_active else None
        accepted = not self.certification_agreement(candidate_id)["needs_acceptance"]
        return _reply(published.Certification, {
            **standing, "certificate_code": code, "downloads": standing["status"] == "active" and accepted})

    @staticmethod
    def _renewal(standing: dict, renews_with_ce: bool) -> dict:
        view = {key: standing[key] for key in ("name", "status", "active_on", "expires_on",
                                                 "recertification_summary", "recertification", "covered_by")}
        return _reply(published.CeBalanceView, {
            **view, "certification_id": standing["id"], "renews_with_ce": renews_with_ce,
            "credits_available": standing["ce_credits_available"] if renews_with_ce else None})

    def _code(self, candidate_id, certification_id) -> str:
        # URL-safe like the service's `secrets.token_urlsafe` codes ('-' and '_' included).
        digest = base64.urlsafe_b64encode(hashlib.sha256(f"{candidate_id}/{certification_id}".encode()).digest())
        code = "c_-" + digest.decode()[:19]
        self.codes[code] = (candidate_id, certification_id)
        return code

    def _downloadable(self, candidate_id, certification_id) -> dict:
        standing = self.certification(candidate_id, certification_id)
        if standing["status"] != "active":
            raise CertificationNotActive({"message": f"{standing['name']} is not active.",
                                          "status": standing["status"]})
        if self.certification_agreement(candidate_id)["needs_acceptance"]:
            raise AgreementRequired({"message": "Accept the current certification agreement first."})
        return standing

    @staticmethod
    def _payload(filename, content_type, data: bytes) -> dict:
        return _reply(published.BinaryPayload,
                      {"filename": filename, "content_type": content_type, "data_b64": base64.b64encode(data).decode()})

    def _find(self, activity_id) -> dict:
        for activity in self.activities:
            if activity["id"] == activity_id:
                return activity
        raise ActivityNotFound({"message": "No such activity.", "activity_id": activity_id})

    def _reviewable(self, activity_id) -> dict:
        activity = self._find(activity_id)
        if activity["status"] != "pending":
            raise ActivityAlreadyReviewed({"message": "Already reviewed.", "status": activity["status"]})
        return activity

    @staticmethod
    def _activity(activity) -> dict:
        return _reply(published.ActivityView, activity)

    def _for_staff(self, activity) -> dict:
        person = self.identity.candidates[activity["candidate_id"]]
        return {**self._activity(activity), "candidate_id": activity["candidate_id"],
                "candidate_name": f"{person['first_name']} {person['last_name']}",
                "document_filename": activity["document"]["filename"]}
