"""An in-memory exams service for the gateway's unit tests.

It answers the exams RPC methods the candidate site and the staff console use
(testing history, the exam agreement, publishing and listing agreement
versions; services/exams/exams/service.py) with the real service's
signatures, reply shapes and rules, and fails the way the real one does over
nameko: a domain error reaches the gateway as a `RemoteError` whose `value`
is the error's JSON detail, an unknown method as `MethodNotFound`, wrong
arguments as `IncorrectSignature`. Arguments and replies are copied through
JSON.

`FakeServices` puts it beside the identity fake as `app.extensions["rpc"]`
(the `fake_identity` and `fake_exams` fixtures do). Test helpers:
`add_sitting`, `calls`, `called`.
"""
from __future__ import annotations

from datetime import datetime, timezone

from certtrack_shared.errors import DomainError

from gateway.errors import ServiceUnreachable
from .rpc import FakeService


_DomainError = DomainError  # as the service's own base: one JSON object as detail


AgreementNotFound = type("AgreementNotFound", (_DomainError,), {})
AgreementVersionNotCurrent = type("AgreementVersionNotCurrent", (_DomainError,), {})
InvalidAgreement = type("InvalidAgreement", (_DomainError,), {})

RPC_METHODS = {"health", "testing_history", "exam_agreement", "accept_exam_agreement", "publish_exam_agreement",
               "exam_agreement_versions"}
SEEDED_AT = "2026-11-24T00:00:00Z"


class FakeServices:
    """The gateway's RPC client, answering from one fake per service."""

    def __init__(self, **services):
        self.services = services

    def call(self, service: str, method: str, *args, **kwargs):
        fake = self.services.get(service)
        if fake is None:
            raise ServiceUnreachable(f"no {service} service is listening")
        return fake.call(service, method, *args, **kwargs)

    def close(self):
        pass


class FakeExams(FakeService):
    service_name = "exams"
    rpc_methods = RPC_METHODS

    def __init__(self):
        self.now = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
        self.sittings: list[dict] = []
        self.agreements: dict[str, list[dict]] = {
            program: [{"program": program, "version": 1, "title": title, "body": body,
                       "published_at": SEEDED_AT, "published_by": "CertTrack"}]
            for program, title, body in (
                ("cisco", "Cisco Certification Exam Agreement",
                 "Exams are confidential.\n\nTake the exam yourself.\n\nScores are reported by the vendor."),
                ("juniper", "Juniper Networks Certification Program Exam Agreement",
                 "Juniper exams are confidential.\n\nScores are final once reported."),
            )
        }
        self.acceptances: list[dict] = []
        self.calls: list[tuple[str, dict]] = []


    # -- test helpers ---------------------------------------------------------------------
    def add_sitting(self, candidate_id: str, registration_number: str, *, exam_code="200-301",
                    exam_title="Implementing and Administering Cisco Solutions",
                    taken_at="2026-12-01T11:42:00Z", score=842, passing_score=825,
                    test_center=("TC-88231", "Online proctored", "US"), revoked_reason=None) -> dict:
        sitting = {
            "id": len(self.sittings) + 1, "exam_code": exam_code, "exam_title": exam_title,
            "taken_at": taken_at, "score": score, "passing_score": passing_score,
            "result": "pass" if score >= passing_score else "fail",
            "registration_number": registration_number, "vendor": "pearson_vue",
            "test_center": dict(zip(("id", "name", "country"), test_center)),
            "revoked": revoked_reason is not None, "revoked_reason": revoked_reason,
            "revoked_at": "2026-12-09T10:00:00Z" if revoked_reason else None, "corrected": False,
            "candidate_id": candidate_id,
        }
        self.sittings.append(sitting)
        return sitting

    def called(self, method: str) -> list[dict]:
        return [arguments for name, arguments in self.calls if name == method]

    # -- RPC methods ----------------------------------------------------------------------
    def health(self):
        return {"service": "exams", "database": "ok"}

    def testing_history(self, candidate_id):
        own = [s for s in self.sittings if s["candidate_id"] == candidate_id]
        own.sort(key=lambda s: (s["taken_at"], s["id"]), reverse=True)
        return {"items": [{k: v for k, v in s.items() if k != "candidate_id"} for s in own]}

    def exam_agreement(self, candidate_id, program):
        versions = self.agreements.get(program, [])
        # Candidates are not told who published it.
        current = {k: v for k, v in versions[-1].items() if k != "published_by"} if versions else None
        accepted = [a for a in self.acceptances if (a["candidate_id"], a["program"]) == (candidate_id, program)]
        latest = max(accepted, key=lambda a: a["version"]) if accepted else None
        return {
            "program": program, "current": current,
            "accepted": {"version": latest["version"], "accepted_at": latest["accepted_at"]} if latest else None,
            "needs_acceptance": current is not None and (latest is None or latest["version"] != current["version"]),
        }

    def accept_exam_agreement(self, candidate_id, program, version):
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise InvalidAgreement({"version": "Input should be a valid integer"})
        versions = self.agreements.get(program)
        if not versions:
            raise AgreementNotFound({"program": program})
        if version != versions[-1]["version"]:
            raise AgreementVersionNotCurrent(
                {"program": program, "requested_version": version, "current_version": versions[-1]["version"]})
        key = (candidate_id, program, version)
        if not any((a["candidate_id"], a["program"], a["version"]) == key for a in self.acceptances):
            self.acceptances.append({"candidate_id": candidate_id, "program": program, "version": version,
                                     "accepted_at": self.now.isoformat()})
        return self.exam_agreement(candidate_id, program)

    def publish_exam_agreement(self, program, title, body, staff):
        problems = {name: "String should have at least 1 character"
                    for name, value in (("title", title), ("body", body), ("staff", staff))
                    if not str(value).strip()}
        if len(str(title).strip()) > 300:
            problems["title"] = "Use at most 300 characters."
        if problems:
            raise InvalidAgreement(problems)
        versions = self.agreements.setdefault(program, [])
        agreement = {"program": program, "version": len(versions) + 1, "title": title.strip(),
                     "body": body.strip(), "published_at": self.now.isoformat(), "published_by": staff.strip()}
        versions.append(agreement)
        return agreement

    def exam_agreement_versions(self, program=None):
        return {"programs": [
            {"program": name, "current_version": versions[-1]["version"], "versions": versions[::-1]}
            for name, versions in sorted(self.agreements.items())
            if versions and program in (None, name)
        ]}
