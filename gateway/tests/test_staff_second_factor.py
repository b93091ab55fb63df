"""The staff login's second factor and live staff sessions (gateway/staff/second_factor.py,
access.py), with identity's staff side faked as in test_staff_console.py."""
from __future__ import annotations

import re

import pyotp

from .test_staff_console import STAFF, TOTP_SECRET, _csrf, _log_in, app, identity  # noqa: F401 (fixtures)


def _password_only(client):
    return client.post("/staff/login", data={"csrf_token": _csrf(client), "email": STAFF["email"],
                                             "password": "correct horse battery staple", "next": "/staff/tickets/2"})


def test_the_password_alone_opens_no_staff_page(client, identity):
    response = _password_only(client)
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login/code")
    assert not any(c.startswith("certtrack_staff=") for c in response.headers.getlist("Set-Cookie"))
    assert client.get("/staff/tickets").headers["Location"].startswith("/staff/login")
    # Without the password step, the code page sends back to the password.
    other = client.application.test_client()
    assert other.get("/staff/login/code").headers["Location"].startswith("/staff/login?")


def test_a_wrong_or_replayed_code_is_refused_and_the_right_one_logs_in(client, identity):
    assert _log_in(client, code="000000").status_code == 401
    assert client.get("/staff/tickets").status_code == 302
    code = pyotp.TOTP(TOTP_SECRET).now()
    response = _log_in(client, code=code, next_path="/staff/tickets/2")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/tickets/2"
    assert client.get("/staff/tickets/2").status_code == 200
    assert identity.called("staff_verify_second_factor")[-1]["client_address"] == "127.0.0.1"
    # The login is in the audit; the code itself is nowhere in it.
    [entry] = client.application.extensions["staff_directory"].entries
    assert (entry["action"], entry["area"], entry["staff_id"]) == ("login", "session", STAFF["id"])

    other = client.application.test_client()
    refused = _log_in(other, code=code)
    assert refused.status_code == 401 and "used already" in refused.get_data(as_text=True)
    assert _log_in(other, code="recovery-01").status_code == 302


def test_too_many_wrong_codes_are_told_to_wait(client, identity):
    def limited(**_):
        from .fakes.staff_identity import remote_error

        raise remote_error("TooManyAttempts", {"retry_after_seconds": 300})

    identity.staff_verify_second_factor = limited
    assert _log_in(client).status_code == 429


def test_first_login_enrols_with_a_qr_code_and_shows_the_recovery_codes_once(client, identity):
    identity.secret = None
    response = _password_only(client)
    assert response.headers["Location"].startswith("/staff/login/enrol")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<svg" in page and 'id="totp-secret"' in page
    secret = identity.offered
    assert " ".join(secret[i:i + 4] for i in range(0, 32, 4)) in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "code": "000000"}
    # A mistyped code shows the same secret again (no new offer).
    wrong = client.post("/staff/login/enrol", data=form)
    assert wrong.status_code == 401 and identity.offered == secret
    assert secret[:4] in wrong.get_data(as_text=True)

    done = client.post("/staff/login/enrol", data=dict(form, code=pyotp.TOTP(secret).now()))
    codes = done.get_data(as_text=True)
    assert done.status_code == 200 and "abcde-00000" in codes and "abcde-00009" in codes
    assert done.headers["Cache-Control"] == "no-store"
    assert client.get("/staff/tickets/2").status_code == 200


def test_a_deactivated_member_is_out_at_the_next_request(client, identity):
    _log_in(client)
    assert client.get("/staff/tickets").status_code == 200
    client.application.extensions["staff_directory"].accounts[STAFF["id"]]["active"] = False

    refused = client.get("/staff/tickets")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/staff/login")
    assert any(c.startswith("certtrack_staff=;") for c in refused.headers.getlist("Set-Cookie"))
    # Reactivated, the old session stays ended.
    client.application.extensions["staff_directory"].accounts[STAFF["id"]]["active"] = True
    assert client.get("/staff/tickets").status_code == 302


def test_a_role_change_applies_at_the_next_request(client, identity):
    _log_in(client)
    assert client.get("/staff/catalog").status_code == 403  # support
    client.application.extensions["staff_directory"].accounts[STAFF["id"]]["role"] = "admin"
    page = client.get("/staff/tickets").get_data(as_text=True)
    assert "Sam Support (admin)" in page and ">Audit</a>" in page
    client.application.extensions["staff_directory"].accounts[STAFF["id"]]["role"] = "support"
    assert client.get("/staff/audit").status_code == 403
