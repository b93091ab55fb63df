"""Issue 5's scenario table, from events to the certs RPC.

Each scenario publishes `exam_passed` / `sitting_revoked` events as exams
would (and CE activities through submit + staff approval) on a vhost of its
own, then reads the candidate's certifications back over RPC.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from services.certs.tests.events import apply, document, exam_result, sitting_revoked


@dataclass
class Scenario:
    name: str
    today: str
    candidate: str
    steps: list  # ("pass", code, day) | ("revoke", step index) | ("ce", credits, day)
    expect: dict  # certification id -> (status, active_on, expires_on); "*" matches anything
    absent: list = field(default_factory=list)  # not listed at all (nothing counts toward them)


CSCO, JNPR = "CSCO10000001", "JNPR10000001"

SCENARIOS = [
    Scenario("ccna by one exam", "2026-06-01", CSCO,
             [("pass", "200-301", "2026-03-02")],
             {"ccna": ("active", "2026-03-02", "2029-03-02")}, absent=["ccnp_enterprise"]),
    Scenario("ccnp core then concentration", "2026-06-01", CSCO,
             [("pass", "350-401", "2026-01-10"), ("pass", "300-410", "2026-02-20")],
             {"ccnp_enterprise": ("active", "2026-02-20", "2029-02-20"),
              # advancing to CCNP renews every active certification at its level and below
              "specialist_enterprise_core": ("active", "2026-02-20", "2029-02-20"),
              "specialist_enterprise_advanced_infrastructure_implementation":
                  ("active", "2026-02-20", "2029-02-20")}),
    Scenario("ccnp concentration then core", "2026-06-01", CSCO,
             [("pass", "300-410", "2026-01-10"), ("pass", "350-401", "2026-02-20")],
             {"ccnp_enterprise": ("active", "2026-02-20", "2029-02-20"),
              "specialist_enterprise_advanced_infrastructure_implementation":
                  ("active", "2026-02-20", "2029-02-20"),  # renewed by the CCNP achievement
              "specialist_enterprise_core": ("active", "2026-02-20", "2029-02-20")}),
    Scenario("core alone gives only its specialist", "2026-06-01", CSCO,
             [("pass", "350-401", "2026-01-10")],
             {"specialist_enterprise_core": ("active", "2026-01-10", "2029-01-10"),
              "ccnp_enterprise": ("in_progress", None, None)}),
    Scenario("concentration alone gives only its specialist", "2026-06-01", CSCO,
             [("pass", "300-415", "2026-01-10")],
             {"specialist_enterprise_sdwan_implementation": ("active", "2026-01-10", "2029-01-10"),
              "ccnp_enterprise": ("in_progress", None, None)}),
    Scenario("ccie needs core and lab", "2026-06-01", CSCO,
             [("pass", "CCIE-EI-LAB", "2025-05-01"), ("pass", "350-401", "2026-04-01")],
             {"ccie_enterprise_infrastructure": ("active", "2026-04-01", "2029-04-01")}),
    Scenario("ccie lab alone is in progress", "2026-06-01", CSCO,
             [("pass", "CCIE-EI-LAB", "2026-04-01")],
             {"ccie_enterprise_infrastructure": ("in_progress", None, None)}),
    Scenario("recert by exam while active starts a new period that day", "2026-06-01", CSCO,
             [("pass", "200-301", "2024-01-15"), ("pass", "200-301", "2026-03-01")],
             {"ccna": ("active", "2026-03-01", "2029-03-01")}),
    Scenario("after expiry nothing renews", "2026-06-01", CSCO,
             [("pass", "350-401", "2021-01-10"), ("pass", "300-410", "2021-02-01"),
              ("pass", "300-415", "2025-05-01")],
             {"ccnp_enterprise": ("expired", "2021-02-01", "2024-02-01"),
              "specialist_enterprise_sdwan_implementation": ("active", "2025-05-01", "2028-05-01")}),
    Scenario("ce-only recertification", "2026-06-01", CSCO,
             [("pass", "200-301", "2024-01-15"), ("ce", 30, "2026-05-01")],
             {"ccna": ("active", "2026-05-01", "2029-05-01")}),
    Scenario("too few credits do not renew", "2026-06-01", CSCO,
             [("pass", "200-301", "2024-01-15"), ("ce", 20, "2026-05-01")],
             {"ccna": ("active", "2024-01-15", "2027-01-15")}),
    Scenario("exam + ce recertification, credits approved after the exam", "2026-06-01", CSCO,
             [("pass", "350-401", "2024-02-01"), ("pass", "300-410", "2024-02-01"),
              ("pass", "300-415", "2026-05-01"), ("ce", 40, "2026-04-01")],
             {"ccnp_enterprise": ("active", "2026-05-01", "2029-05-01")}),
    # Expired on 20 Apr 2026, then 30 credits completed while it was active are approved on
    # 1 Jun: they count by their completion date, so it never lapsed.
    Scenario("credits approved after expiry renew it from their completion date", "2026-06-01", CSCO,
             [("pass", "200-301", "2023-04-20"), ("ce", 30, "2026-04-10")],
             {"ccna": ("active", "2026-04-10", "2029-04-10")}),
    Scenario("credits completed after expiry renew nothing", "2026-06-01", CSCO,
             [("pass", "200-301", "2023-04-20"), ("ce", 30, "2026-04-25")],
             {"ccna": ("expired", "2023-04-20", "2026-04-20")}),
    Scenario("ccnp recert renews ccna", "2026-06-01", CSCO,
             [("pass", "200-301", "2024-03-01"), ("pass", "350-401", "2024-06-01"),
              ("pass", "300-410", "2024-06-01"), ("pass", "350-401", "2026-04-01")],
             {"ccnp_enterprise": ("active", "2026-04-01", "2029-04-01"),
              "ccna": ("active", "2026-04-01", "2029-04-01")}),
    Scenario("revoking the only qualifying sitting revokes", "2026-06-01", CSCO,
             [("pass", "200-301", "2026-03-02"), ("revoke", 0)],
             {"ccna": ("revoked", "*", "*")}),
    Scenario("revoking one of two qualifying sittings keeps it", "2026-06-01", CSCO,
             [("pass", "200-301", "2026-03-02"), ("pass", "200-301", "2026-04-02"), ("revoke", 0)],
             {"ccna": ("active", "2026-04-02", "2029-04-02")}),
    Scenario("juniper: JNCIS waits for an active JNCIA", "2026-06-01", JNPR,
             [("pass", "JN0-351", "2026-01-10")],
             {"jncis_ent": ("in_progress", None, None)}),
    Scenario("juniper: JNCIS achieved the day JNCIA is", "2026-06-01", JNPR,
             [("pass", "JN0-351", "2026-01-10"), ("pass", "JN0-105", "2026-03-01")],
             {"jncia_junos": ("active", "2026-03-01", "2029-03-01"),
              "jncis_ent": ("active", "2026-03-01", "2029-03-01")}),
    Scenario("juniper: JNCIP needs JNCIS", "2026-06-01", JNPR,
             [("pass", "JN0-105", "2026-01-10"), ("pass", "JN0-650", "2026-02-01")],
             # the higher exam renews the active associate, but earns nothing itself
             {"jncia_junos": ("active", "2026-02-01", "2029-02-01"),
              "jncip_ent": ("in_progress", None, None)}),
]


def _run(step, results, candidate, certs_amqp, certs_db, rpc, today):
    kind = step[0]
    if kind == "pass":
        body = exam_result(candidate, step[1], step[2])
        results.append(body)
        apply(certs_amqp, certs_db, ("exams.events", "exam_passed", body))
    elif kind == "revoke":
        results.append(None)
        apply(certs_amqp, certs_db, ("exams.events", "sitting_revoked", sitting_revoked(results[step[1]])))
    elif kind == "ce":
        results.append(None)
        activity = rpc.submit_ce_activity(
            candidate_id=candidate, title="Cisco Live session", provider="Cisco",
            completed_on=step[2], kind="ce", certification_id=None, document=document())
        rpc.approve_ce_activity(activity_id=activity["id"], credits=step[1], staff="reviewer@example.com")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(scenario, start_certs, rpc, certs_amqp, certs_db):
    start_certs(today=scenario.today)
    results: list = []
    for step in scenario.steps:
        _run(step, results, scenario.candidate, certs_amqp, certs_db, rpc, scenario.today)

    reply = rpc.certifications(scenario.candidate)
    assert reply["as_of"] == scenario.today
    found = {item["id"]: item for item in reply["items"]}
    for certification_id, expected in scenario.expect.items():
        if expected[0] == "in_progress" and certification_id not in found:
            item = rpc.certification(scenario.candidate, certification_id)
        else:
            item = found[certification_id]
        actual = (item["status"], item["active_on"], item["expires_on"])
        assert all(e == "*" or e == a for e, a in zip(expected, actual)), (certification_id, actual)
        assert all("met" in p and p["description"] for p in item["progress"])
    for certification_id in scenario.absent:
        assert certification_id not in found
