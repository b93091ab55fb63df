"""Issue 5's scenario table, from vendor events to the API.

Each scenario is a fresh candidate (a unique email) and a few stages. In a
stage a testing vendor publishes to `vendor.events` what it would
(CONTRACTS.md §2): a registration and a result per sitting, or the withdrawal
of a result; then `GET /api/v1/me/certifications`, as the candidate, is polled
until it shows the stage's statuses and dates. The sittings are dated in the
past relative to today's real date, so the expected validity periods follow
from them whatever day the suite runs.

The candidate sets a password by the first-time flow over the API, by score
report (last name + registration number): unlike the email-only request, which
serves the default program (Cisco), it finds a Juniper candidate too.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import pytest
import requests

from certtrack_shared.contracts.vendor import ExamRegistrationV1, ExamResultRevokedV1, ExamResultV1
from tests.e2e.identity_steps import identity_rpc, mailed_link
from tests.e2e.test_testing_history import PASSWORD, vendor_sends
from tests.harness.messages import wait_for
from tests.harness.vendor import registration, result, revocation

LAST_NAME = "Hamilton"
TITLES = {  # as the catalogs (services/certs/certs/catalog/*.yaml) name them
    "200-301": "Implementing and Administering Cisco Solutions",
    "350-401": "Implementing Cisco Enterprise Network Core Technologies",
    "300-410": "Implementing Cisco Enterprise Advanced Routing and Services",
    "CCIE-EI-LAB": "CCIE Enterprise Infrastructure Lab Exam",
    "JN0-105": "Junos, Associate (JNCIA-Junos)",
    "JN0-351": "Enterprise Routing and Switching, Specialist (JNCIS-ENT)",
}
SPECIALIST_CORE = "specialist_enterprise_core"
SPECIALIST_ENARSI = "specialist_enterprise_advanced_infrastructure_implementation"  # by 300-410
POLL_SECONDS = 60


def today() -> date:
    return datetime.now(timezone.utc).date()


def ago(days: int) -> date:
    """`days` before today (UTC); never 29 February, so that "three years later" is one plain day."""
    day = today() - timedelta(days=days)
    return day - timedelta(days=1) if (day.month, day.day) == (2, 29) else day


def years_after(day: date, years: int = 3) -> date:
    return day.replace(year=day.year + years)


def held(day: date) -> tuple:
    """Active since `day`, for three years: its expected (status, active_on, expires_on)."""
    return "active", day, years_after(day)


IN_PROGRESS = ("in_progress", None, None)


# -- the table ------------------------------------------------------------------------------
@dataclass
class Sit:
    """A passed sitting: the vendor's registration and result."""

    exam: str
    on: date


@dataclass
class Revoke:
    """The vendor withdraws the result of the scenario's `sitting`-th sitting (0-based)."""

    sitting: int


@dataclass
class Stage:
    events: list  # Sit | Revoke, published in this order
    expect: dict  # certification id -> (status, active_on, expires_on)
    absent: list = field(default_factory=list)  # not listed: nothing counts toward it
    renewed_by: dict = field(default_factory=dict)  # certification id -> what its last renewal came from


@dataclass
class Scenario:
    name: str
    stages: list
    program: str = "cisco"


def scenarios() -> list:
    """Built when collected, from the real date."""
    ccna_then_again, ccna_long_ago = ago(730), ago(1460)
    return [
        Scenario("ccna by one exam", [
            Stage([Sit("200-301", ago(60))], {"ccna": held(ago(60))},
                  absent=["ccnp_enterprise", SPECIALIST_CORE]),
        ]),
        # Each exam alone gives its Specialist; CCNP Enterprise is active from the later sitting,
        # and achieving it renews both Specialists from that day.
        Scenario("ccnp enterprise: core, then a concentration", [
            Stage([Sit("350-401", ago(120))], {SPECIALIST_CORE: held(ago(120)), "ccnp_enterprise": IN_PROGRESS},
                  absent=[SPECIALIST_ENARSI]),
            Stage([Sit("300-410", ago(30))], {"ccnp_enterprise": held(ago(30)), SPECIALIST_CORE: held(ago(30)),
                                              SPECIALIST_ENARSI: held(ago(30))}),
        ]),
        Scenario("ccnp enterprise: a concentration, then core", [
            Stage([Sit("300-410", ago(120))], {SPECIALIST_ENARSI: held(ago(120)), "ccnp_enterprise": IN_PROGRESS},
                  absent=[SPECIALIST_CORE]),
            Stage([Sit("350-401", ago(30))], {"ccnp_enterprise": held(ago(30)), SPECIALIST_CORE: held(ago(30)),
                                              SPECIALIST_ENARSI: held(ago(30))}),
        ]),
        Scenario("ccie enterprise infrastructure needs core and lab", [
            Stage([Sit("CCIE-EI-LAB", ago(200))], {"ccie_enterprise_infrastructure": IN_PROGRESS}),
            Stage([Sit("350-401", ago(40))], {"ccie_enterprise_infrastructure": held(ago(40)),
                                              SPECIALIST_CORE: held(ago(40))}),
        ]),
        Scenario("recertification by exam while active starts a new period that day", [
            Stage([Sit("200-301", ccna_then_again)], {"ccna": held(ccna_then_again)}),
            Stage([Sit("200-301", ago(20))], {"ccna": held(ago(20))}),
        ]),
        # A concentration exam is one of CCNA's recertification paths, but CCNA lapsed before it.
        Scenario("after expiry nothing renews", [
            Stage([Sit("200-301", ccna_long_ago)],
                  {"ccna": ("expired", ccna_long_ago, years_after(ccna_long_ago))}),
            Stage([Sit("300-410", ago(30))], {"ccna": ("expired", ccna_long_ago, years_after(ccna_long_ago)),
                                              SPECIALIST_ENARSI: held(ago(30))}),
        ]),
        # Achieving CCNP renews CCNA; recertifying CCNP (a core exam) renews it again.
        Scenario("ccnp recertification renews ccna", [
            Stage([Sit("200-301", ago(900)), Sit("350-401", ago(800)), Sit("300-410", ago(800))],
                  {"ccnp_enterprise": held(ago(800)), "ccna": held(ago(800))},
                  renewed_by={"ccna": "ccnp_enterprise"}),
            Stage([Sit("350-401", ago(25))], {"ccnp_enterprise": held(ago(25)), "ccna": held(ago(25))},
                  renewed_by={"ccna": "ccnp_enterprise"}),
        ]),
        Scenario("revoking the only qualifying sitting revokes the certification", [
            Stage([Sit("200-301", ago(50))], {"ccna": held(ago(50))}),
            Stage([Revoke(0)], {"ccna": ("revoked", None, None)}),
        ]),
        Scenario("juniper: JNCIS-ENT needs an active JNCIA-Junos", [
            Stage([Sit("JN0-351", ago(90))], {"jncis_ent": IN_PROGRESS}, absent=["jncia_junos"]),
            Stage([Sit("JN0-105", ago(30))], {"jncia_junos": held(ago(30)), "jncis_ent": held(ago(30))}),
        ], program="juniper"),
    ]


SCENARIOS = scenarios()


# -- the vendor and the candidate ---------------------------------------------------------
class Candidate:
    """One scenario's candidate: what the vendor reported of them, and their API token."""

    def __init__(self, stack, amqp_uri, program: str):
        self.stack, self.amqp_uri, self.program = stack, amqp_uri, program
        self.email = f"scenario.{uuid.uuid4().hex[:12]}@example.com"
        self.registrations: list[str] = []
        self.token: str | None = None

    def sits(self, exam: str, on: date) -> None:
        """As a vendor: the registration, then the passing result, dated at noon UTC that day."""
        number = str(uuid.uuid4().int)[:9]
        taken_at = datetime.combine(on, time(12, 0), tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")
        booked = dict(registration(number, email=self.email, last_name=LAST_NAME, exam=(exam, TITLES[exam])),
                      program=self.program, scheduled_at=taken_at)
        scored = dict(result(number, score=870, email=self.email, exam=(exam, TITLES[exam]), taken_at=taken_at,
                             last_name=LAST_NAME), program=self.program)
        ExamRegistrationV1.model_validate(booked)  # shaped as CONTRACTS.md §2 says
        ExamResultV1.model_validate(scored)
        vendor_sends(self.amqp_uri, "exam_registration", booked)
        vendor_sends(self.amqp_uri, "exam_result", scored)
        self.registrations.append(number)

    def loses(self, sitting: int) -> None:
        """As a vendor: the result of an earlier sitting is withdrawn."""
        withdrawn = dict(revocation(self.registrations[sitting], reason="exam security violation"),
                         program=self.program, revoked_at=datetime.now(timezone.utc).isoformat())
        ExamResultRevokedV1.model_validate(withdrawn)
        vendor_sends(self.amqp_uri, "exam_result_revoked", withdrawn)

    def log_in(self) -> None:
        """Once identity made the candidate: first-time login by score report, a password, a token."""
        url = self.stack.url
        with identity_rpc(self.amqp_uri) as identity:
            wait_for(lambda: identity.staff_search_candidates(query=self.email), timeout=POLL_SECONDS,
                     interval=0.25, message=f"identity to create the candidate {self.email}")
        sent = requests.post(f"{url}/api/v1/auth/first-time/score-report", timeout=10, json={
            "last_name": LAST_NAME, "registration_number": self.registrations[0], "new_email": self.email})
        assert sent.status_code == 202, sent.text
        link_token = mailed_link(self.stack, self.email).rsplit("/", 1)[1]
        answer = requests.post(f"{url}/api/v1/auth/password", json={"token": link_token, "password": PASSWORD},
                               timeout=10)
        assert answer.status_code == 204, answer.text
        answer = requests.post(f"{url}/api/v1/auth/token", json={"login": self.email, "password": PASSWORD},
                               timeout=10)
        assert answer.status_code == 200, answer.text
        self.token = answer.json()["access_token"]

    def certifications(self) -> dict:
        answer = requests.get(f"{self.stack.url}/api/v1/me/certifications",
                              headers={"Authorization": f"Bearer {self.token}"}, timeout=10)
        assert answer.status_code == 200, answer.text
        return {item["id"]: item for item in answer.json()["items"]}


# -- checking a stage -----------------------------------------------------------------------
def iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def mismatches(stage: Stage, items: dict) -> list[str]:
    """What the API shows that the stage does not expect; empty when it all holds."""
    wrong = []
    for certification_id, (status, active_on, expires_on) in stage.expect.items():
        expected = (status, iso(active_on), iso(expires_on))
        item = items.get(certification_id)
        shown = (item["status"], item["active_on"], item["expires_on"]) if item else "not listed"
        if shown != expected:
            wrong.append(f"{certification_id}: expected {expected}, got {shown}")
    for certification_id in stage.absent:
        if certification_id in items:
            wrong.append(f"{certification_id}: expected not listed, got {items[certification_id]['status']}")
    for certification_id, renewer in stage.renewed_by.items():
        history = items.get(certification_id, {}).get("history") or [{}]
        if history[-1].get("renewed_by") != renewer:
            wrong.append(f"{certification_id}: expected its last renewal by {renewer}, got {history[-1]}")
    return wrong


def summary(items: dict) -> str:
    return "; ".join(f"{i}={v['status']} {v['active_on']}..{v['expires_on']}" for i, v in items.items()) or "nothing"


def wait_for_stage(candidate: Candidate, stage: Stage, number: int) -> None:
    seen = {"wrong": ["nothing read yet"], "items": {}}

    def holds() -> bool:
        seen["items"] = candidate.certifications()
        seen["wrong"] = mismatches(stage, seen["items"])
        return not seen["wrong"]

    try:
        wait_for(holds, timeout=POLL_SECONDS, interval=0.5, message=f"stage {number}")
        return
    except AssertionError:
        pass
    pytest.fail(f"stage {number}: after {POLL_SECONDS}s GET /api/v1/me/certifications still differs:\n  "
                + "\n  ".join(seen["wrong"]) + f"\nit returned: {summary(seen['items'])}", pytrace=False)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_from_vendor_events_to_the_api(stack, amqp_uri, scenario):
    candidate = Candidate(stack, amqp_uri, scenario.program)
    for number, stage in enumerate(scenario.stages, start=1):
        for event in stage.events:
            if isinstance(event, Sit):
                candidate.sits(event.exam, event.on)
            else:
                candidate.loses(event.sitting)
        if candidate.token is None:
            candidate.log_in()
        wait_for_stage(candidate, stage, number)
