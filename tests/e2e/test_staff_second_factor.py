"""The staff console's second factor, live accounts and audit against the stack
`make run` starts (docs/decisions/0019-staff-second-factor.md): a login without
the TOTP code is refused and one with it works; an administrator deactivated by
another is refused at their next request; a CCIE number edit is on /staff/audit
with who made it."""
from __future__ import annotations

import html
import re
import uuid

import pytest

from tests.e2e.identity_steps import identity_rpc
from tests.e2e.staff_steps import STAFF_PASSWORD, code_step, logged_in_session, password_step


def _admin(amqp_uri, name: str) -> dict:
    with identity_rpc(amqp_uri) as identity:
        return identity.staff_create(email=f"{name.lower()}.{uuid.uuid4().hex[:8]}@example.com", name=name,
                                     role="admin", password=STAFF_PASSWORD)


def _csrf(text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


@pytest.mark.slow
def test_staff_need_the_code_are_out_when_deactivated_and_their_edits_are_audited(stack, amqp_uri):
    import requests

    alice, bob = _admin(amqp_uri, "Alice"), _admin(amqp_uri, "Bob")
    # First login: enrolment (the helper reads the key under the QR code), then the console.
    bob_session = logged_in_session(stack, bob["email"])
    assert bob_session.get(f"{stack.url}/staff/tickets", timeout=10).url.endswith("/staff/tickets")

    # The password alone opens nothing; a wrong code is refused; a fresh code of the app works.
    later = requests.Session()
    asked = password_step(later, stack, bob["email"])
    assert asked.status_code == 302 and "/staff/login/code" in asked.headers["Location"]
    refused = later.get(f"{stack.url}/staff/tickets", timeout=10, allow_redirects=False)
    assert refused.status_code == 302 and "/staff/login" in refused.headers["Location"]
    assert code_step(later, stack, bob["email"], code="000000").status_code == 401
    assert code_step(later, stack, bob["email"]).status_code == 302
    assert later.get(f"{stack.url}/staff/tickets", timeout=10, allow_redirects=False).status_code == 200

    # Alice sets a candidate's CCIE number; the audit shows who, what and on whom.
    alice_session = logged_in_session(stack, alice["email"])
    with identity_rpc(amqp_uri) as identity:
        candidate = identity.staff_create_candidate(program="cisco", first_name="Radia", last_name="Perlman",
                                                    email=f"radia.{uuid.uuid4().hex[:8]}@example.com")
    page = f"{stack.url}/staff/candidates/{candidate['candidate_id']}"
    token = _csrf(alice_session.get(page, timeout=10).text)
    saved = alice_session.post(f"{page}/attributes", timeout=10, allow_redirects=False,
                               data={"csrf_token": token, "ccie_number": "40123", "ccde_number": ""})
    assert saved.status_code == 302
    audit = alice_session.get(f"{stack.url}/staff/audit", timeout=10,
                              params={"target": candidate["candidate_id"], "area": "candidates"})
    assert audit.status_code == 200
    rows = html.unescape(re.search(r'<table class="table" id="audit-entries">.*?</table>', audit.text, re.S).group(0))
    assert "set_attributes" in rows and alice["email"] in rows and "40123" in rows
    assert f"candidate_id={candidate['candidate_id']}" in rows and "csrf" not in rows

    # Alice deactivates Bob: his very next request is refused, and so is his password.
    accounts = alice_session.get(f"{stack.url}/staff/accounts", timeout=10)
    done = alice_session.post(f"{stack.url}/staff/accounts/{bob['id']}/active", timeout=10, allow_redirects=False,
                              data={"csrf_token": _csrf(accounts.text), "active": "0"})
    assert done.status_code == 302
    for session in (bob_session, later):
        out = session.get(f"{stack.url}/staff/tickets", timeout=10, allow_redirects=False)
        assert out.status_code == 302 and "/staff/login" in out.headers["Location"]
    assert password_step(requests.Session(), stack, bob["email"]).status_code == 401
    # The deactivation is in the audit too.
    audit = alice_session.get(f"{stack.url}/staff/audit", timeout=10, params={"action": "change_staff_active"})
    assert f"staff_id={bob['id']}" in audit.text
