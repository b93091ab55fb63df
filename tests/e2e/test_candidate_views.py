"""Candidate pages served from replies kept in Redis (decision 0034), on the
stack as `make run` starts it: a repeated page asks no service, and what a
candidate changes shows on the very next request, whichever gateway worker
and service replica answer it; a changed password ends other tokens at once.

Which services a request asked is read off their logs: each RPC answered logs
one line with the request's `X-Request-ID` (decision 0033)."""
from __future__ import annotations

import json
import time
import uuid

import requests

from tests.drills.candidate_record import bearer, certified_candidate
from tests.e2e.test_transcripts import PASSWORD


def asked(stack, request_id: str) -> list[str]:
    """The RPCs the services answered for this request, as their logs say."""
    time.sleep(0.5)  # a log line is written as the reply goes out
    answered = []
    for path in (stack.folder / "log").glob("*.log"):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if request_id in line and line.startswith("{"):
                record = json.loads(line)
                if record.get("correlation_id") == request_id and record["message"].endswith("answered"):
                    answered.append(record["message"].split()[0])
    return sorted(answered)


def get(stack, path: str, headers: dict) -> tuple[requests.Response, str]:
    request_id = f"views-{uuid.uuid4().hex}"
    answer = requests.get(f"{stack.url}{path}", headers={**headers, "X-Request-ID": request_id}, timeout=30)
    return answer, request_id


def test_a_repeated_page_asks_no_service_and_a_change_shows_at_once(stack, amqp_uri):
    email = f"katherine.{uuid.uuid4().hex[:10]}@example.com"
    certified_candidate(stack, amqp_uri, email)
    token = bearer(stack.url, email)

    first, _ = get(stack, "/api/v1/me/certifications", token)
    assert first.status_code == 200
    again, request_id = get(stack, "/api/v1/me/certifications", token)
    assert again.json() == first.json()
    assert asked(stack, request_id) == []

    # Accepting the agreement changes what certs answers: shown on the next request.
    agreement = requests.get(f"{stack.url}/api/v1/me/certification-agreement", headers=token, timeout=30).json()
    assert not first.json()["agreement"]["accepted"]
    accepted = requests.post(f"{stack.url}/api/v1/me/certification-agreement", headers=token,
                             json={"version": agreement["version"]}, timeout=30)
    assert accepted.status_code == 200, accepted.text
    after, request_id = get(stack, "/api/v1/me/certifications", token)
    assert after.json()["agreement"]["accepted"] is True
    assert {item["id"]: item["downloads"] for item in after.json()["items"]}["ccna"] is True
    assert asked(stack, request_id) == ["certs.certifications"]


def test_a_changed_password_ends_the_other_tokens_at_once(stack, amqp_uri):
    email = f"dorothy.{uuid.uuid4().hex[:10]}@example.com"
    certified_candidate(stack, amqp_uri, email)
    other, mine = bearer(stack.url, email), bearer(stack.url, email)
    for _ in range(3):  # the other client's token checked, and kept, more than once
        assert get(stack, "/api/v1/me/certifications", other)[0].status_code == 200

    changed = requests.post(f"{stack.url}/api/v1/me/password", headers=mine, timeout=30,
                            json={"current_password": PASSWORD, "new_password": "quartz meadow seventy kites"})
    assert changed.status_code == 200, changed.text

    assert get(stack, "/api/v1/me/certifications", other)[0].status_code == 401
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert get(stack, "/api/v1/me/certifications", fresh)[0].status_code == 200
