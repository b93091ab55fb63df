"""A candidate with something to lose: what the restore drill compares and the
memory benchmark exercises.

`certified_candidate` (the transcripts end-to-end steps) has a vendor report
CCNA's and DevNet Associate's exams, so identity, exams, certs, fulfillment and
transcripts each hold part of the candidate, and sets their password; here the
candidate also shares a transcript, and `pages` reads back what the candidate
and a third party see over the JSON API.
"""
from __future__ import annotations

import json
from datetime import date, timedelta
from urllib.parse import quote

import requests

from tests.e2e.test_transcripts import PASSWORD, certified_candidate

__all__ = ["certified_candidate", "bearer", "share_transcript", "pages", "CANDIDATE_PAGES"]

CANDIDATE_PAGES = ("/api/v1/me", "/api/v1/me/exams", "/api/v1/me/certifications",
                   "/api/v1/me/continuing-education", "/api/v1/me/orders", "/api/v1/me/transcripts",
                   "/api/v1/me/credentials")


def bearer(site: str, email: str) -> dict[str, str]:
    answer = requests.post(f"{site}/api/v1/auth/token", json={"login": email, "password": PASSWORD}, timeout=30)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def share_transcript(site: str, email: str) -> dict:
    answer = requests.post(
        f"{site}/api/v1/me/transcripts", headers=bearer(site, email),
        json={"description": "For a recruiter", "valid_through": (date.today() + timedelta(days=30)).isoformat(),
              "display": {"certifications": "all_active", "include_expired": False,
                          "include_exams": True, "show_email": False}},
        timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()


def pages(site: str, email: str, transcript: dict) -> dict[str, object]:
    """Every candidate page of the API as the candidate sees it, and the shared
    transcript as a third party verifies it (a view counts: call it once per site),
    with the site's own address written `{site}`, so that two sites' pages compare."""
    headers = bearer(site, email)
    seen = {}
    for path in CANDIDATE_PAGES:
        answer = requests.get(f"{site}{path}", headers=headers, timeout=30)
        assert answer.status_code == 200, (path, answer.text)
        seen[path] = answer.json()
    verified = requests.get(f"{site}/api/v1/verify/{transcript['code']}",
                            params={"access_code": transcript["access_code"]}, timeout=30)
    assert verified.status_code == 200, verified.text
    seen["verification"] = verified.json()
    text = json.dumps(seen).replace(site, "{site}").replace(quote(site, safe=""), "{site}")
    return json.loads(text)
