"""The staff console with identity replaced by a fake: who gets in, and what staff can do."""
from __future__ import annotations

import json
import re
import time

import pyotp
import pytest

from gateway.auth import session as candidate_session

from .fakes.staff_identity import PASSWORD, PNG, STAFF, TOTP_SECRET, StaffIdentity


@pytest.fixture
def identity():
    return StaffIdentity()


@pytest.fixture
def app(make_app, identity):
    app = make_app()
    app.extensions["staff_directory"].add(STAFF)  # identity's live answer: Sam is active, in support
    app.extensions["rpc"].close()
    app.extensions["rpc"] = identity
    return app


def _csrf(client, path="/staff/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _log_in(client, password=PASSWORD, next_path=None, code=None):
    """The staff login's answer: the password's refusal, or the second factor's answer
    (to `code`, the current TOTP code unless told)."""
    data = {"csrf_token": _csrf(client), "email": STAFF["email"], "password": password}
    if next_path:
        data["next"] = next_path
    response = client.post("/staff/login", data=data)
    if response.status_code != 302 or not response.headers["Location"].startswith("/staff/login/code"):
        return response
    code = pyotp.TOTP(TOTP_SECRET).now() if code is None else code
    return client.post(response.headers["Location"], data={
        "csrf_token": _csrf(client, response.headers["Location"]), "code": code})


@pytest.fixture
def staff_client(client):
    assert _log_in(client).status_code == 302
    return client


def _as_candidate(client):
    with client.session_transaction() as session:
        session[candidate_session.CANDIDATE_ID] = "CSCO10000001"
        session[candidate_session.CANDIDATE] = {"program": "cisco", "first_name": "Ada", "last_name": "Lovelace"}
        session[candidate_session.LOGGED_IN_AT] = int(time.time())
        session[candidate_session.SESSION_ID] = "a-candidate-session"


# Every staff URL, as (method, path).
STAFF_URLS = [
    ("GET", "/staff/"), ("GET", "/staff/login"), ("POST", "/staff/logout"), ("GET", "/staff/tickets"),
    ("GET", "/staff/tickets/2"), ("GET", "/staff/tickets/2/document"), ("POST", "/staff/tickets/2/approve"),
    ("POST", "/staff/tickets/2/reject"), ("GET", "/staff/candidates?q=ada"), ("GET", "/staff/candidates/new"),
    ("POST", "/staff/candidates/new"), ("GET", "/staff/candidates/CSCO10000001"),
    ("POST", "/staff/candidates/CSCO10000001/attributes"),
    # Dead letters, vendor keys and broker users (gateway/staff/dead_letters.py, vendor_keys.py,
    # vendor_senders.py).
    ("GET", "/staff/dead-letters"), ("GET", "/staff/dead-letters/exams/1"),
    ("POST", "/staff/dead-letters/exams/1/replay"), ("POST", "/staff/dead-letters/exams/1/discard"),
    ("GET", "/staff/vendor-keys"), ("POST", "/staff/vendor-keys"), ("POST", "/staff/vendor-keys/1/revoke"),
    ("GET", "/staff/vendor-senders"), ("POST", "/staff/vendor-senders"),
    ("POST", "/staff/vendor-senders/acme-broker/remove"),
    # CE review and the catalog (gateway/staff/continuing_education.py, catalog.py).
    ("GET", "/staff/continuing-education"), ("GET", "/staff/continuing-education/1"),
    ("GET", "/staff/continuing-education/1/document"), ("POST", "/staff/continuing-education/1/approve"),
    ("POST", "/staff/continuing-education/1/reject"), ("GET", "/staff/catalog"), ("POST", "/staff/catalog/reload"),
    # Kit orders (gateway/staff/orders.py).
    ("GET", "/staff/orders"), ("GET", "/staff/orders/ORD-2026-000001"),
    ("POST", "/staff/orders/ORD-2026-000001/status"), ("POST", "/staff/orders/ORD-2026-000001/refund"),
    ("GET", "/staff/orders/declines"),
    # Exam and certification agreements (gateway/staff/agreements.py).
    ("GET", "/staff/exam-agreements"), ("POST", "/staff/exam-agreements/cisco"),
    ("GET", "/staff/certification-agreements"), ("POST", "/staff/certification-agreements/cisco"),
    # The login's second step, staff accounts and the audit (gateway/staff/second_factor.py,
    # accounts.py, audit.py).
    ("GET", "/staff/login/code"), ("POST", "/staff/login/code"), ("GET", "/staff/login/enrol"),
    ("POST", "/staff/login/enrol"), ("GET", "/staff/accounts"), ("POST", "/staff/accounts/1/role"),
    ("POST", "/staff/accounts/1/active"), ("POST", "/staff/accounts/1/second-factor/reset"),
    ("GET", "/staff/audit"),
]
# Before the staff session: the password and the second factor's steps.
LOGIN_STEPS = {"/staff/login", "/staff/login/code", "/staff/login/enrol"}


def test_the_list_covers_every_staff_route(app):
    listed = {re.sub(r"\?.*", "", path) for _, path in STAFF_URLS}
    rules = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/staff")}
    concrete = {re.sub(r"<int:ticket_id>", "2", re.sub(r"<candidate_id>", "CSCO10000001", rule)) for rule in rules}
    concrete = {rule.replace("<order_id>", "ORD-2026-000001").replace("<program>", "cisco")
                .replace("<path:broker_user>", "acme-broker") for rule in concrete}
    concrete = {re.sub(r"<int:(dead_letter_id|key_id|activity_id|staff_id)>", "1", rule.replace("<service>", "exams"))
                for rule in concrete}

    assert concrete == listed


@pytest.mark.parametrize(("method", "path"), STAFF_URLS)
def test_a_logged_in_candidate_gets_403_at_every_staff_url(client, identity, method, path):
    token = _csrf(client)  # a valid form token, so only the guard can refuse
    _as_candidate(client)

    response = client.open(path, method=method, data={"csrf_token": token, "reason": "x", "email": "a@b.c"})

    assert response.status_code == 403
    assert "Staff only" in response.get_data(as_text=True)
    assert identity.calls == []


@pytest.mark.parametrize(("method", "path"), STAFF_URLS)
def test_a_candidate_session_beside_a_staff_session_still_gets_403(staff_client, identity, method, path):
    token = _csrf(staff_client, "/staff/tickets")
    identity.calls.clear()
    _as_candidate(staff_client)

    response = staff_client.open(path, method=method, data={"csrf_token": token, "reason": "x"})

    assert response.status_code == 403
    assert identity.calls == []


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p in STAFF_URLS if p not in LOGIN_STEPS])
def test_logged_out_visitors_are_sent_to_the_staff_login(client, identity, method, path):
    token = _csrf(client)

    response = client.open(path, method=method, data={"csrf_token": token})

    assert response.status_code == 302
    expected = f"/staff/login?next={path}" if method == "GET" else "/staff/login"
    assert response.headers["Location"] == expected.replace("?q=ada", "?q%3Dada")
    assert identity.calls == []


def test_staff_login_comes_back_to_the_page_asked_for(client):
    first = client.get("/staff/tickets/2")
    login_url = first.headers["Location"]
    assert login_url == "/staff/login?next=/staff/tickets/2"
    page = client.get(login_url).get_data(as_text=True)
    assert 'name="next" value="/staff/tickets/2"' in page

    response = _log_in(client, next_path="/staff/tickets/2")

    assert response.status_code == 302 and response.headers["Location"] == "/staff/tickets/2"
    assert client.get("/staff/tickets/2").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/staff/", "/account", "/staff\\..\\x"])
def test_staff_login_never_redirects_off_the_staff_console(client, target):
    response = _log_in(client, next_path=target)

    assert response.headers["Location"] == "/staff/tickets"


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, identity):
    response = _log_in(client, password="wrong password here")

    assert response.status_code == 401
    assert "do not match a staff account" in response.get_data(as_text=True)
    assert "certtrack_staff" not in response.headers.get("Set-Cookie", "")
    assert identity.called("staff_authenticate")[0]["client_address"] == "127.0.0.1"


def test_staff_session_is_its_own_strict_cookie_on_the_staff_path(client):
    cookie = _log_in(client).headers.getlist("Set-Cookie")
    staff_cookie = next(c for c in cookie if c.startswith("certtrack_staff="))

    assert "Path=/staff" in staff_cookie and "HttpOnly" in staff_cookie and "SameSite=Strict" in staff_cookie
    with client.session_transaction() as session:
        assert "staff" not in json.dumps(dict(session))  # nothing staff in the candidate session


def test_a_forged_or_candidate_cookie_is_no_staff_session(client, app):
    client.set_cookie("certtrack_staff", '{"id": 7, "role": "admin"}', path="/staff")
    assert client.get("/staff/tickets").status_code == 302

    # The candidate site's signed session cookie, replayed as the staff cookie.
    client.get("/staff/login")
    session_cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    client.set_cookie("certtrack_staff", session_cookie.value, path="/staff")
    assert client.get("/staff/tickets").status_code == 302


def test_logout_ends_the_staff_session(staff_client):
    token = _csrf(staff_client, "/staff/tickets")

    response = staff_client.post("/staff/logout", data={"csrf_token": token})

    assert response.status_code == 302
    assert staff_client.get("/staff/tickets").status_code == 302


def test_staff_pages_are_never_cached(staff_client):
    assert staff_client.get("/staff/tickets").headers["Cache-Control"] == "no-store"
    assert staff_client.get("/staff/login").headers["Cache-Control"] == "no-store"


def test_queue_shows_open_tickets_first_oldest_first(staff_client):
    page = staff_client.get("/staff/tickets").get_data(as_text=True)

    assert page.index("#3") < page.index("#2") < page.index("#1")
    assert page.index("Open") < page.index("#3") and page.index("Decided") < page.index("#1")
    assert "CSCO10000001" in page and "name change" in page and "Augusta Ada King3" in page
    assert "2026-11-02 09:00 UTC" in page
    assert "Staff" in page and ">Tickets</a>" in page and "Sam Support" in page


def test_ticket_page_shows_the_document_and_both_decisions(staff_client):
    page = staff_client.get("/staff/tickets/2").get_data(as_text=True)

    assert 'src="/staff/tickets/2/document"' in page
    assert 'href="/staff/tickets/2/document?download=1"' in page
    assert 'action="/staff/tickets/2/approve"' in page and 'action="/staff/tickets/2/reject"' in page
    assert page.count('name="csrf_token"') >= 3  # approve, reject, log out


def test_document_is_served_inline_to_staff_with_safe_headers(staff_client):
    response = staff_client.get("/staff/tickets/2/document")

    assert response.status_code == 200
    assert response.data == PNG
    assert response.headers["Content-Type"] == "image/png"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;") and "passport" in disposition and '"scan"' not in disposition
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert "Last-Modified" not in response.headers and "ETag" not in response.headers


def test_document_can_be_downloaded(staff_client):
    response = staff_client.get("/staff/tickets/2/document?download=1")

    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"


def test_unknown_ticket_is_a_404_page(staff_client):
    response = staff_client.get("/staff/tickets/99")

    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)


def test_approving_decides_as_the_signed_in_staff_member(staff_client, identity):
    token = _csrf(staff_client, "/staff/tickets/2")

    response = staff_client.post("/staff/tickets/2/approve", data={"csrf_token": token})

    assert response.status_code == 302 and response.headers["Location"] == "/staff/tickets/2"
    assert identity.called("staff_decide_ticket") == [
        {"ticket_id": 2, "staff_id": 7, "decision": "approve", "reason": None}
    ]
    page = staff_client.get("/staff/tickets/2").get_data(as_text=True)
    assert "Approved: the name is now Augusta Ada King2" in page
    assert "approved" in page and 'action="/staff/tickets/2/approve"' not in page


def test_rejecting_needs_a_reason(staff_client, identity):
    token = _csrf(staff_client, "/staff/tickets/2")

    refused = staff_client.post("/staff/tickets/2/reject", data={"csrf_token": token, "reason": "  "})
    assert refused.status_code == 400
    assert "Say why the request is rejected" in refused.get_data(as_text=True)
    assert identity.called("staff_decide_ticket") == []

    staff_client.post("/staff/tickets/2/reject", data={"csrf_token": token, "reason": "The scan is unreadable."})
    assert identity.called("staff_decide_ticket") == [
        {"ticket_id": 2, "staff_id": 7, "decision": "reject", "reason": "The scan is unreadable."}
    ]


def test_a_reason_identity_refuses_is_shown_beside_the_field_and_kept(staff_client, identity):
    token = _csrf(staff_client, "/staff/tickets/2")
    reason = "The scan is unreadable. " * 100

    response = staff_client.post("/staff/tickets/2/reject", data={"csrf_token": token, "reason": reason})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="reject-problem">Use at most 2000 characters.</p>' in page
    assert reason.strip() in page  # what was typed is not lost
    assert identity.tickets[2]["status"] == "open"


def test_deciding_twice_says_so_instead_of_failing(staff_client, identity):
    token = _csrf(staff_client, "/staff/tickets/1")

    response = staff_client.post("/staff/tickets/1/approve", data={"csrf_token": token}, follow_redirects=True)

    assert response.status_code == 200
    assert "already decided" in response.get_data(as_text=True)


def test_decisions_without_the_csrf_token_are_refused(staff_client, identity):
    assert staff_client.post("/staff/tickets/2/approve").status_code == 400
    assert staff_client.post("/staff/tickets/2/reject", data={"reason": "no"}).status_code == 400
    assert staff_client.post("/staff/candidates/new", data={"email": "x@y.z"}).status_code == 400
    assert staff_client.post("/staff/candidates/CSCO10000001/attributes", data={"ccie_number": "1"}).status_code == 400
    assert staff_client.post("/staff/logout").status_code == 400
    assert identity.called("staff_decide_ticket") == identity.called("staff_create_candidate") == []
    assert identity.called("staff_set_attributes") == []


@pytest.mark.parametrize("query", ["CSCO10000001", "ada@example.com", "lovelace"])
def test_search_finds_candidates_by_id_email_or_name(staff_client, query):
    page = staff_client.get(f"/staff/candidates?q={query}").get_data(as_text=True)

    assert 'href="/staff/candidates/CSCO10000001"' in page and "Ada Lovelace" in page


def test_search_says_when_nothing_matches(staff_client):
    assert "No candidate matches" in staff_client.get("/staff/candidates?q=nobody").get_data(as_text=True)


def test_candidate_view_shows_profile_identities_and_tickets(staff_client):
    page = staff_client.get("/staff/candidates/CSCO10000001").get_data(as_text=True)

    assert "Ada Lovelace" in page and "ada@example.com" in page and "Engines Ltd" in page
    assert "https://sso.acme.example" in page and "ada-42" in page
    assert 'href="/staff/tickets/2"' in page
    assert 'name="ccie_number"' in page and 'name="ccde_number"' in page


def test_unknown_candidate_is_a_404_page(staff_client):
    assert staff_client.get("/staff/candidates/CSCO99999999").status_code == 404


def test_staff_set_ccie_and_ccde_numbers(staff_client, identity):
    token = _csrf(staff_client, "/staff/candidates/CSCO10000001")

    response = staff_client.post(
        "/staff/candidates/CSCO10000001/attributes",
        data={"csrf_token": token, "ccie_number": " 12345 ", "ccde_number": ""},
    )

    assert response.status_code == 302
    # Only what changed goes to identity: the empty CCDE box had no number to keep, so it goes
    # as None, which identity reads as "leave it as it is".
    assert identity.called("staff_set_attributes") == [
        {"candidate_id": "CSCO10000001", "ccie_number": "12345", "ccde_number": None}]
    page = staff_client.get("/staff/candidates/CSCO10000001").get_data(as_text=True)
    assert 'value="12345"' in page and "Saved: CCIE number set to 12345." in page


def _with_numbers(identity, ccie="12345", ccde="2020:1"):
    identity.candidates["CSCO10000001"].update(ccie_number=ccie, ccde_number=ccde)


def test_a_number_is_removed_with_its_remove_box_and_the_other_kept(staff_client, identity):
    _with_numbers(identity)
    page = staff_client.get("/staff/candidates/CSCO10000001").get_data(as_text=True)
    assert 'name="remove_ccie_number"' in page and "Remove the CCIE number (12345)" in page

    response = staff_client.post("/staff/candidates/CSCO10000001/attributes", data={
        "csrf_token": _csrf(staff_client, "/staff/candidates/CSCO10000001"),
        "ccie_number": "12345", "remove_ccie_number": "1", "ccde_number": "2020:1",
    })

    assert response.status_code == 302
    assert identity.called("staff_set_attributes") == [
        {"candidate_id": "CSCO10000001", "ccie_number": "", "ccde_number": None}]
    assert (identity.candidates["CSCO10000001"]["ccie_number"], identity.candidates["CSCO10000001"]["ccde_number"]) \
        == (None, "2020:1")
    page = staff_client.get("/staff/candidates/CSCO10000001").get_data(as_text=True)
    assert "Saved: CCIE number removed." in page and 'name="remove_ccie_number"' not in page


def test_an_emptied_box_without_remove_is_pointed_out_not_a_silent_removal(staff_client, identity):
    _with_numbers(identity)

    response = staff_client.post("/staff/candidates/CSCO10000001/attributes", data={
        "csrf_token": _csrf(staff_client, "/staff/candidates/CSCO10000001"), "ccie_number": "", "ccde_number": "2020:1",
    })

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "To remove the CCIE number, tick “Remove the CCIE number”. To keep it, leave 12345 in the box." in page
    assert identity.called("staff_set_attributes") == []
    assert identity.candidates["CSCO10000001"]["ccie_number"] == "12345"


def test_a_new_number_and_remove_together_are_refused(staff_client, identity):
    _with_numbers(identity)

    response = staff_client.post("/staff/candidates/CSCO10000001/attributes", data={
        "csrf_token": _csrf(staff_client, "/staff/candidates/CSCO10000001"),
        "ccie_number": "99999", "remove_ccie_number": "1", "ccde_number": "2020:1",
    })

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Either type a new CCIE number or tick “Remove”, not both." in page
    assert 'name="remove_ccie_number" value="1" checked' in page and 'value="99999"' in page
    assert identity.called("staff_set_attributes") == []


def test_saving_unchanged_numbers_calls_nobody(staff_client, identity):
    _with_numbers(identity)

    response = staff_client.post("/staff/candidates/CSCO10000001/attributes", data={
        "csrf_token": _csrf(staff_client, "/staff/candidates/CSCO10000001"), "ccie_number": "12345", "ccde_number": "2020:1",
    }, follow_redirects=True)

    assert "Nothing was changed." in response.get_data(as_text=True)
    assert identity.called("staff_set_attributes") == []


def test_an_invalid_attribute_is_shown_beside_its_field(staff_client):
    token = _csrf(staff_client, "/staff/candidates/CSCO10000001")

    response = staff_client.post(
        "/staff/candidates/CSCO10000001/attributes", data={"csrf_token": token, "ccie_number": "12a"},
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "A CCIE number is digits only." in page and 'value="12a"' in page


def test_staff_create_a_candidate(staff_client, identity):
    token = _csrf(staff_client, "/staff/candidates/new")

    response = staff_client.post("/staff/candidates/new", data={
        "csrf_token": token, "program": "cisco", "first_name": "Grace", "last_name": "Hopper",
        "email": "grace@example.com",
    })

    assert response.status_code == 302 and response.headers["Location"] == "/staff/candidates/CSCO10000002"
    assert identity.called("staff_create_candidate") == [
        {"program": "cisco", "first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"}
    ]
    page = staff_client.get("/staff/candidates/CSCO10000002").get_data(as_text=True)
    assert "Candidate CSCO10000002 created" in page and "Grace Hopper" in page


def test_creating_a_candidate_checks_the_form_and_reports_a_taken_email(staff_client, identity):
    token = _csrf(staff_client, "/staff/candidates/new")

    missing = staff_client.post("/staff/candidates/new", data={"csrf_token": token, "program": "cisco"})
    assert missing.status_code == 400 and identity.called("staff_create_candidate") == []

    taken = staff_client.post("/staff/candidates/new", data={
        "csrf_token": token, "program": "cisco", "first_name": "Ada", "last_name": "L", "email": "ada@example.com",
    })
    assert taken.status_code == 400
    page = taken.get_data(as_text=True)
    assert "Another candidate" in page and 'value="ada@example.com"' in page
