"""Testing History and the exam agreement end to end: a testing vendor reports
exams over the broker, the candidate (created by identity from that report)
logs in with headless Chromium, reads the history and accepts the agreement;
a new agreement version published by RPC asks again."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from tests.e2e.identity_steps import identity_rpc, mailed_link
from tests.harness.messages import publish_raw, wait_for
from tests.harness.vendor import registration, result, revocation

PASSWORD = "amber lantern ninety owls"
ENCOR = ("350-401", "Implementing and Operating Cisco Enterprise Network Core Technologies")
CCNA = ("200-301", "Implementing and Administering Cisco Solutions")


def vendor_sends(amqp_uri, routing_key, body):
    publish_raw(amqp_uri, "vendor.events", routing_key, body, message_id=body["event_id"])


def exams_history(amqp_uri, candidate_id):
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
        return rpc.exams.testing_history(candidate_id=candidate_id)["items"]


def candidate_with_exams(stack, amqp_uri, email, sittings) -> str:
    """As a vendor: a registration and a result per sitting; identity creates the
    candidate, who then sets a password over the API. Returns the candidate ID."""
    for number, exam, taken_at, score in sittings:
        vendor_sends(amqp_uri, "exam_registration", registration(number, email=email, last_name="Liskov", exam=exam))
        vendor_sends(amqp_uri, "exam_result", result(number, score=score, email=email, exam=exam, taken_at=taken_at,
                                                     last_name="Liskov"))
    with identity_rpc(amqp_uri) as identity:
        found = wait_for(lambda: identity.staff_search_candidates(query=email), timeout=60,
                         message=f"identity to create the candidate {email}")
    candidate_id = found[0]["candidate_id"]
    wait_for(lambda: len(exams_history(amqp_uri, candidate_id)) == len(sittings), timeout=60,
             message="exams to link every sitting to the candidate")

    assert requests.post(f"{stack.url}/api/v1/auth/first-time", json={"email": email}, timeout=10).status_code == 202
    token = mailed_link(stack, email).rsplit("/", 1)[1]
    answer = requests.post(f"{stack.url}/api/v1/auth/password", json={"token": token, "password": PASSWORD},
                           timeout=10)
    assert answer.status_code == 204, answer.text
    return candidate_id


@pytest.mark.browser
@pytest.mark.slow
def test_candidate_reads_testing_history_and_accepts_the_exam_agreement(stack, amqp_uri, page):
    email = f"barbara.{uuid.uuid4().hex[:10]}@example.com"
    older, newer, revoked = (str(uuid.uuid4().int)[:9] for _ in range(3))
    candidate_id = candidate_with_exams(stack, amqp_uri, email, [
        (older, CCNA, "2026-01-05T10:00:00Z", 700),
        (newer, ENCOR, "2026-03-05T14:30:00Z", 901),
        (revoked, CCNA, "2026-02-10T09:15:00Z", 850),
    ])
    vendor_sends(amqp_uri, "exam_result_revoked", revocation(revoked, reason="exam security violation"))
    wait_for(lambda: any(i["revoked"] for i in exams_history(amqp_uri, candidate_id)), timeout=30,
             message="the revocation")

    # Logs in and finds Testing History in the main navigation.
    page.goto(f"{stack.url}/login")
    page.get_by_label("Candidate ID or email address").fill(candidate_id)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{stack.url}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Testing History").click()
    page.wait_for_url(f"{stack.url}/testing-history")
    expect(page.get_by_role("heading", name="Testing History", level=1)).to_be_visible()

    # The right rows, newest first.
    rows = page.locator("table.exam-history tbody tr")
    assert rows.count() == 3
    first, second, third = (rows.nth(i) for i in range(3))
    assert [row.locator('td[data-label="Registration number"]').inner_text() for row in (first, second, third)] \
        == [newer, revoked, older]
    assert "350-401" in first.inner_text() and ENCOR[1] in first.inner_text()
    assert "5 Mar 2026, 14:30 UTC" in first.inner_text()
    assert "901 / 825 to pass" in first.inner_text()
    assert first.locator(".badge--pass").inner_text() == "Pass"
    assert "Online proctored" in first.inner_text()
    expect(second.get_by_text("Revoked", exact=True)).to_be_visible()
    assert "exam security violation" in second.inner_text()
    assert third.locator(".badge--fail").inner_text() == "Fail"

    # The agreement: read it, accept it.
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
        version = rpc.exams.exam_agreement(candidate_id=candidate_id, program="cisco")["current"]["version"]
    agreement = page.locator("#agreement")
    expect(agreement.get_by_role("heading", name="Cisco Certification Exam Agreement")).to_be_visible()
    expect(agreement.get_by_text("Exam confidentiality.")).to_be_visible()
    agreement.get_by_role("button", name=f"I accept version {version} of the exam agreement").click()
    page.wait_for_url(re.compile(r"/testing-history(#agreement)?$"))
    expect(page.get_by_text(f"Thank you: you accepted version {version} of the exam agreement.")).to_be_visible()
    assert re.fullmatch(rf"Accepted You accepted version {version} of the Cisco Certification Exam Agreement "
                        r"on \d{1,2} \w{3} \d{4}, \d\d:\d\d UTC\.",
                        agreement.locator(".agreement__status").inner_text())
    assert agreement.get_by_role("button").count() == 0

    # Staff publish a new version: the next visit asks again.
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
        published = rpc.exams.publish_exam_agreement(
            program="cisco", title="Cisco Certification Exam Agreement",
            body="Exam confidentiality, revised.\n\nOnline exams now require a room scan before you start.",
            staff="e2e@certtrack.example")
    assert published["version"] == version + 1
    page.reload()
    expect(agreement.get_by_text(f"A new version, version {version + 1}, was published")).to_be_visible()
    expect(agreement.get_by_text("Online exams now require a room scan")).to_be_visible()
    expect(agreement.get_by_role("button", name=f"I accept version {version + 1} of the exam agreement")).to_be_visible()

    # The API says the same.
    token = requests.post(f"{stack.url}/api/v1/auth/token", json={"login": email, "password": PASSWORD},
                          timeout=10).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    items = requests.get(f"{stack.url}/api/v1/me/exams", headers=headers, timeout=10).json()["items"]
    assert [(i["registration_number"], i["result"], i["revoked"]) for i in items] == [
        (newer, "pass", False), (revoked, "pass", True), (older, "fail", False)]
    status = requests.get(f"{stack.url}/api/v1/me/exam-agreement", headers=headers, timeout=10).json()
    assert (status["needs_acceptance"], status["accepted"]["version"], status["current"]["version"]) == (
        True, version, version + 1)
