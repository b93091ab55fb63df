"""Every form of the site (candidate and staff) is refused without its CSRF token.

The forms are found in the app's URL map: every route outside `/api/` that
takes a POST. Each is posted without a token, with a forged one and with a
token of another browser's session, from a browser that is logged in (as a
candidate, or as staff for the staff console); each answer is the 400
"This form has expired" page, and no service is asked anything.
"""
from __future__ import annotations

import re

import pytest
from .fakes.identity import csrf_token, log_in

from gateway.staff import access

PASSWORD = "correct horse battery staple"
STAFF = {"id": 7, "email": "sam@certtrack.example", "name": "Sam Admin", "role": "admin"}  # every staff form
# Forms the issue names, so an empty URL map cannot pass the test.
KNOWN_FORMS = {
    "/login", "/logout", "/first-time", "/first-time/score-report", "/first-time/<token>", "/forgot-password",
    "/reset-password/<token>", "/forgot-candidate-id", "/confirm-email/<token>", "/personal-info",
    "/personal-info/attributes", "/personal-info/name-change", "/personal-info/identification/<int:identity_id>/unlink",
    "/staff/login", "/staff/logout", "/staff/tickets/<int:ticket_id>/approve", "/staff/tickets/<int:ticket_id>/reject",
    "/staff/candidates/new", "/staff/candidates/<candidate_id>/attributes",
}


def _forms(app) -> list[str]:
    return sorted(
        rule.rule for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.rule.startswith("/api/") and rule.endpoint != "static"
    )


def _url(rule: str) -> str:
    return re.sub(r"<(?:int:)?(\w+)>", lambda m: "1" if m.group(0).startswith("<int:") else "CSCO10000001", rule)


@pytest.fixture
def ada(fake_identity):
    return fake_identity.add_candidate("Ada", "Lovelace", "ada@example.com", password=PASSWORD)


def _browser(app, rule: str, ada: str):
    """A logged-in browser for the form: staff for the staff console, else a candidate."""
    client = app.test_client()
    if rule.startswith("/staff/"):
        response = app.make_response("")
        with app.test_request_context():
            access.log_in(response, STAFF)
        cookie = response.headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1]
        client.set_cookie(access.COOKIE, cookie, path="/staff")
    else:
        log_in(client, ada, PASSWORD)
    return client


def test_the_url_map_has_every_known_form(app):
    assert KNOWN_FORMS <= set(_forms(app))


@pytest.mark.parametrize("token", ["missing", "forged", "another session's"])
def test_every_form_without_its_csrf_token_is_refused(app, fake_identity, ada, token):
    other = app.test_client()
    other_token = csrf_token(other.get("/login").get_data(as_text=True))
    services, asked = app.extensions["rpc"], []

    class Recording:
        """Every call to any service, whatever it answers."""

        def call(self, service, method, *args, **kwargs):
            asked.append((service, method))
            return services.call(service, method, *args, **kwargs)

        def close(self):
            services.close()

    app.extensions["rpc"] = Recording()
    for rule in _forms(app):
        client = _browser(app, rule, ada)
        data = {"email": "ada@example.com", "login": ada, "password": PASSWORD, "reason": "No", "ccie_number": "1"}
        if token == "forged":
            data["csrf_token"] = "ImZvcmdlZCI.forged.signature"
        elif token != "missing":
            data["csrf_token"] = other_token
        calls = len(asked)

        response = client.post(_url(rule), data=data)

        assert response.status_code == 400, rule
        assert "This form has expired" in response.get_data(as_text=True), rule
        # Whether the session's credentials are current is all it may ask (decision 0018).
        acted = [call for call in asked[calls:] if call != ("identity", "credential_version")]
        assert acted == [], f"{rule} reached a service without a valid CSRF token"
