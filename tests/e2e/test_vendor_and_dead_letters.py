"""A vendor posts results over HTTP with an API key; staff replay and discard dead
letters from the console — against the stack `make run` starts."""
from __future__ import annotations

import html
import json
import re
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from tests.e2e.identity_steps import identity_rpc
from tests.harness.messages import publish_raw, wait_for
from tests.harness.vendor import result

STAFF_PASSWORD = "granite meadow copper lamp"


@contextmanager
def exams_rpc(amqp_uri):
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
        yield rpc.exams


@pytest.fixture
def exams_db(run_databases):
    engine = create_engine(run_databases.url("e2e_exams"))
    yield engine
    engine.dispose()


def sittings(engine, number) -> int:
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM sittings WHERE registration_number = :n"), {"n": number}).scalar_one()


def staff_session(stack, amqp_uri) -> tuple[requests.Session, str]:
    """A browser-like session logged in to the staff console as a new staff member."""
    email = f"ops.{uuid.uuid4().hex[:8]}@example.com"
    with identity_rpc(amqp_uri) as identity:
        identity.staff_create(email=email, name="Olive Ops", role="admin", password=STAFF_PASSWORD)
    session = requests.Session()
    token = csrf(session.get(f"{stack.url}/staff/login", timeout=10).text)
    response = session.post(f"{stack.url}/staff/login", timeout=10, allow_redirects=False,
                            data={"csrf_token": token, "email": email, "password": STAFF_PASSWORD})
    assert response.status_code == 302
    return session, email


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.mark.slow
def test_vendor_posts_a_result_over_http_and_the_sitting_is_stored(stack, amqp_uri, exams_db):
    with exams_rpc(amqp_uri) as exams:
        created = exams.create_vendor_key(
            vendor="pearson_vue", label="e2e", programs=["cisco"], staff="e2e@example.com",
            expires_at=(datetime.now(timezone.utc) + timedelta(days=30)).isoformat())
    key = created["key"]
    number = f"HTTP-{uuid.uuid4().hex[:8]}"
    body = result(number)

    outside = requests.post(f"{stack.url}/api/v1/vendor/events", timeout=15,
                            json=dict(result(f"{number}-J"), program="juniper"),
                            headers={"Authorization": f"Bearer {key}"})
    assert outside.status_code == 403, outside.text
    assert outside.json()["error"]["code"] == "program_not_in_key_scope"

    response = requests.post(f"{stack.url}/api/v1/vendor/events", json=body, timeout=15,
                             headers={"Authorization": f"Bearer {key}"})

    assert response.status_code == 202, response.text
    assert response.json()["event_id"] == body["event_id"]
    wait_for(lambda: sittings(exams_db, number) == 1, timeout=30, message="the posted result stored")
    assert sittings(exams_db, f"{number}-J") == 0  # the refused one was never published
    # Stored hashed only.
    with exams_db.connect() as connection:
        rows = connection.execute(text("SELECT * FROM vendor_api_keys")).mappings().all()
    assert key not in json.dumps([{k: str(v) for k, v in row.items()} for row in rows])

    with exams_rpc(amqp_uri) as exams:
        exams.revoke_vendor_key(key_id=created["vendor_key"]["id"], staff="e2e@example.com")
    refused = requests.post(f"{stack.url}/api/v1/vendor/events", json=result(number), timeout=15,
                            headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_vendor_key"


@pytest.mark.slow
def test_staff_replay_a_fixed_poison_result_and_discard_another_services_dead_letter(
        stack, amqp_uri, exams_db):
    session, email = staff_session(stack, amqp_uri)
    number = f"POISON-{uuid.uuid4().hex[:8]}"
    bad = dict(result(number), result="fail")  # disagrees with its passing score
    publish_raw(amqp_uri, "vendor.events", "exam_result", bad, bad["event_id"])
    broken_report = {"schema_version": 1, "event_id": f"ex-{uuid.uuid4()}"}  # identity's queue
    publish_raw(amqp_uri, "exams.events", "candidate_reported", broken_report, broken_report["event_id"])

    def listed(event_id):
        page = session.get(f"{stack.url}/staff/dead-letters", timeout=10).text
        found = re.search(rf'href="(/staff/dead-letters/(\w+)/\d+)">#\d+</a><br><code>{re.escape(event_id)}<', page)
        return found and (found.group(1), found.group(2))

    exams_path, exams_service = wait_for(lambda: listed(bad["event_id"]), timeout=30,
                                         message="the poison result in the console")
    identity_path, identity_service = wait_for(lambda: listed(broken_report["event_id"]), timeout=30,
                                               message="identity's dead letter in the console")
    assert (exams_service, identity_service) == ("exams", "identity")

    # Replay the result after fixing it.
    page = session.get(f"{stack.url}{exams_path}", timeout=10).text
    assert "disagrees with score" in html.unescape(page)
    fixed = json.dumps(dict(bad, result="pass"), indent=2)
    replayed = session.post(f"{stack.url}{exams_path}/replay", timeout=15,
                            data={"csrf_token": csrf(page), "body": fixed})
    assert replayed.status_code == 200 and "Replayed" in replayed.text
    assert email in replayed.text
    wait_for(lambda: sittings(exams_db, number) == 1, timeout=30, message="the replayed result applied")

    # Discard identity's, with a reason.
    page = session.get(f"{stack.url}{identity_path}", timeout=10).text
    discarded = session.post(f"{stack.url}{identity_path}/discard", timeout=15,
                             data={"csrf_token": csrf(page), "reason": "a test message, not a real report"})
    assert discarded.status_code == 200
    assert "a test message, not a real report" in discarded.text and email in discarded.text
    assert broken_report["event_id"] not in session.get(f"{stack.url}/staff/dead-letters", timeout=10).text
