"""A vendor posts results over HTTP with an API key; staff replay and discard dead
letters from the console — against the stack `make run` starts."""
from __future__ import annotations

import html
import json
import re
import secrets
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote, urlsplit

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from certtrack_shared.broker_identities import DevelopmentUser, vendor_grant
from tests.e2e.identity_steps import identity_rpc
from tests.e2e.staff_steps import logged_in_session
from tests.harness.broker import Vhost
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
    return logged_in_session(stack, email, STAFF_PASSWORD), email


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


def dead_letter_reasons(amqp_uri, event_ids: set[str]) -> dict[str, str]:
    with exams_rpc(amqp_uri) as exams:
        held = exams.list_dead_letters(status="held")
    return {item["message_id"]: item["reason"] for item in held if item["message_id"] in event_ids}


@pytest.mark.slow
def test_admin_registers_a_vendors_broker_user_and_only_what_it_covers_is_applied(
        stack, amqp_uri, exams_db):
    session, email = staff_session(stack, amqp_uri)
    # The broker operator's part: the vendor's own user, which may only publish to vendor.events.
    vhost = Vhost(unquote(urlsplit(amqp_uri).path[1:]))
    acme = DevelopmentUser(f"acme-{uuid.uuid4().hex[:6]}", secrets.token_urlsafe(12))
    api = vhost.administrator().api()
    api.put_user(acme.name, acme.password)
    api.put_grant(vhost.name, vendor_grant(acme.name))

    page = session.get(f"{stack.url}/staff/vendor-senders", timeout=10).text
    registered = session.post(f"{stack.url}/staff/vendor-senders", timeout=10, allow_redirects=False,
                              data={"csrf_token": csrf(page), "broker_user": acme.name,
                                    "vendor": "acme_testing", "programs": ["cisco"]})
    assert registered.status_code == 302, registered.text

    number = f"ACME-{uuid.uuid4().hex[:8]}"
    covered = dict(result(number), vendor="acme_testing")
    other_program = dict(result(f"{number}-J"), vendor="acme_testing", program="juniper")
    other_vendor = result(f"{number}-P")  # pearson_vue's, which acme may not speak for
    for body in (covered, other_program, other_vendor):
        publish_raw(amqp_uri, "vendor.events", "exam_result", body, body["event_id"], user=acme)
    wait_for(lambda: sittings(exams_db, number) == 1, timeout=30, message="acme's covered result")
    refused = {other_program["event_id"], other_vendor["event_id"]}
    reasons = wait_for(lambda: len(dead_letter_reasons(amqp_uri, refused)) == 2 and
                       dead_letter_reasons(amqp_uri, refused), timeout=30,
                       message="acme's uncovered results dead-lettered")
    assert "not registered for program 'juniper'" in reasons[other_program["event_id"]]
    assert "registered for vendor 'acme_testing', not 'pearson_vue'" in reasons[other_vendor["event_id"]]
    assert sittings(exams_db, f"{number}-J") == sittings(exams_db, f"{number}-P") == 0

    page = session.get(f"{stack.url}/staff/vendor-senders", timeout=10).text
    removed = session.post(f"{stack.url}/staff/vendor-senders/{acme.name}/remove", timeout=10,
                           data={"csrf_token": csrf(page)}, allow_redirects=False)
    assert removed.status_code == 302
    after = dict(result(f"{number}-after"), vendor="acme_testing")
    publish_raw(amqp_uri, "vendor.events", "exam_result", after, after["event_id"], user=acme)
    reasons = wait_for(lambda: dead_letter_reasons(amqp_uri, {after["event_id"]}), timeout=30,
                       message="the removed user's result dead-lettered")
    assert "is not registered for any vendor" in reasons[after["event_id"]]

    # The audit: who registered and who removed it.
    page = html.unescape(session.get(f"{stack.url}/staff/vendor-senders", timeout=10).text)
    assert f"Registered by {email}" in page and f"Removed by {email}" in page
    api.session.delete(api._path("users", acme.name), timeout=10)
