"""Every hot query has an index (issue 18, flat cost; decision 0035).

The stack as `make run` starts it, on databases holding a program's history
(benchmarks/history_loader.py: 10,000 candidates, 50,000 sittings, COPY and
ANALYZE), runs what a candidate and a vendor cause: registrations and results
of a new candidate and of a loaded one (identity creates and links, exams
stores and announces, certs evaluates and issues, fulfillment grants the kit,
transcripts projects, the outboxes relay and the consumers claim events),
the first-time login and password, logins, the free kit ordered, shipped and
delivered, every page of the candidate's API
and the site's certifications page, a shared transcript verified, and the
staff console's candidate search (how the steps find the new candidate). Every
process writes down each distinct statement it sent (tests/harness/sql_capture);
each is then EXPLAINed on its database, and the test fails naming the
statements that read a large table from end to end, or that no index could
serve on a table that grows with the data.
"""
from __future__ import annotations

import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, text

from benchmarks.history_loader import candidate_id as loaded_candidate, load
from certtrack_shared.config import SERVICES
from tests.drills.candidate_record import bearer, pages, share_transcript
from tests.e2e.stack import Stack
from tests.e2e.test_transcripts import PASSWORD, certified_candidate, vendor_sends
from tests.harness.query_plans import captured, capture_env, problems
from tests.harness.vendor import registration, result
from tests.security.conftest import csrf_token

HISTORY = 10_000
SDWAN = ("300-415", "Implementing Cisco SD-WAN Solutions")  # a specialist certification the history lacks


@pytest.fixture
def loaded_stack(run_databases, private_vhosts, tmp_path):
    vhost = private_vhosts.take()
    urls = {service: run_databases.url(f"plans_{service}", migrate_service=service) for service in SERVICES}
    load(urls, HISTORY, report=lambda line: None)
    stack = Stack(vhost.amqp_uri, urls, tmp_path)
    stack.env["REPLICAS"] = "1"
    stack.env.update(capture_env(tmp_path / "sql", stack.env))
    try:
        yield stack.start(), vhost.amqp_uri, urls
    finally:
        stack.stop()
        private_vhosts.give_back(vhost)


def site_page(site: str, login: str, path: str) -> str:
    session = requests.Session()
    form = session.get(f"{site}/login", timeout=30).text
    answer = session.post(f"{site}/login", data={"login": login, "password": PASSWORD,
                                                 "csrf_token": csrf_token(form)}, timeout=30)
    assert answer.status_code == 200, answer.status_code
    page = session.get(f"{site}{path}", timeout=30)
    assert page.status_code == 200, page.status_code
    return page.text


def loaded_candidate_sits_again(amqp_uri: str, certs_url: str) -> None:
    """A result for a candidate of the history, which earns a certification: ingestion and
    issuing for a candidate with five sittings and three certifications already."""
    candidate = loaded_candidate(HISTORY // 2)
    number = str(uuid.uuid4().int)[:9]
    vendor_sends(amqp_uri, "exam_registration",
                 registration(number, candidate_id=candidate, exam=SDWAN))
    vendor_sends(amqp_uri, "exam_result", result(number, candidate_id=candidate, exam=SDWAN))
    engine = create_engine(certs_url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                if connection.execute(text("SELECT count(*) FROM sittings WHERE candidate_id = :c"),
                                      {"c": candidate}).scalar_one() > 5:
                    return
            time.sleep(0.5)
        raise AssertionError(f"certs never heard of {candidate}'s sixth sitting")
    finally:
        engine.dispose()


def kit_ordered_and_delivered(site: str, email: str) -> None:
    """The free kit of a first achievement claimed, then shipped and delivered by the warehouse simulator."""
    headers = bearer(site, email)
    [kit, *_] = requests.get(f"{site}/api/v1/me/entitlements", headers=headers, timeout=30).json()["entitlements"]
    placed = requests.post(f"{site}/api/v1/me/orders", headers=headers, timeout=30, json={
        "idempotency_key": uuid.uuid4().hex, "shipping_method": "standard",
        "items": [{"kind": "entitlement", "certification_id": kit["certification_id"]}],
        "ship_to": {"name": "John Hamilton", "line1": "1 Main St", "city": "San Jose", "region": "CA",
                    "postal_code": "95134", "country": "US"}})
    assert placed.status_code == 201, placed.text
    order = f"{site}/api/v1/me/orders/{placed.json()['order_id']}"
    deadline = time.monotonic() + 60
    while requests.get(order, headers=headers, timeout=30).json()["status"] != "delivered":
        assert time.monotonic() < deadline, "the warehouse never delivered the kit"
        time.sleep(0.5)


@pytest.mark.container  # a private vhost and a stack, which the fixture names do not say
@pytest.mark.slow
def test_no_hot_query_reads_a_large_table_from_end_to_end(loaded_stack, tmp_path):
    stack, amqp_uri, urls = loaded_stack
    email = f"plans.{uuid.uuid4().hex[:10]}@example.com"
    candidate = certified_candidate(stack, amqp_uri, email)
    loaded_candidate_sits_again(amqp_uri, urls["certs"])
    kit_ordered_and_delivered(stack.url, email)
    transcript = share_transcript(stack.url, email)
    seen = pages(stack.url, email, transcript)
    assert {item["id"] for item in seen["/api/v1/me/certifications"]["items"]
            if item["status"] == "active"} >= {"ccna", "devnet_associate"}
    assert "CCNA" in site_page(stack.url, candidate, "/certifications")
    stack.stop()  # every process's statements written down

    statements = captured(tmp_path / "sql")
    databases = {url.rsplit("/", 1)[1]: service for service, url in urls.items()}
    ran = {service: [s for s in statements if databases.get(s.database) == service] for service in SERVICES}
    assert all(ran.values()), {service: len(found) for service, found in ran.items()}
    found = [f"[{service}] {problem}" for service in SERVICES for problem in problems(urls[service], ran[service])]
    assert not found, "\n".join(found)
