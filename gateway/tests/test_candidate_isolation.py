"""A second candidate never sees or changes the first's data, by page or API.

Grace is logged in (a browser session and a bearer token) and tries every
identity endpoint of the candidate site and the API with Ada's IDs: in the
path, the query string, hidden form fields and JSON bodies. Nothing of Ada's
may come back, nothing of hers may change, and identity is only ever asked
about Grace. The list of endpoints is checked against the app's URL map, so
a new identity endpoint without a case here fails the test.
"""
from __future__ import annotations

import copy
import io

import pytest
from .fakes.identity import csrf_token, log_in

PASSWORD = "correct horse battery staple"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# Blueprints of the identity part of the gateway (pages and API).
IDENTITY_BLUEPRINTS = {"site", "auth", "auth_api", "profile", "me_api"}
# Ada's data that no request below sends, so any of it in an answer is a leak.
ADA_PRIVATE = {
    "phone": "+44 20 7946 0999", "company": "Analytical Engines Ltd", "job_title": "Enchantress of Numbers",
    "netacad_id": "NA-ADA-777", "ccie_number": "77777",
}
ADA_SUBJECT = "ada-sso-subject-42"
ADA_TICKET_NAME = "Augusta-Ada-Byron"


@pytest.fixture
def people(fake_identity):
    ada = fake_identity.add_candidate("Ada", "Lovelace", "ada@example.com", password=PASSWORD,
                                      registration_number="460111111", **ADA_PRIVATE)
    fake_identity.candidates[ada]["address"]["line1"] = "12 Secret Street"
    identity_id = fake_identity.link_identity(ada, "https://sso.example", ADA_SUBJECT, "ada@sso.example")
    fake_identity.open_name_change_ticket(ada, ADA_TICKET_NAME, "King", "Marriage",
                                          {"filename": "id.png", "data_b64": "iVBORw0KGgoAAAAAAAAAAAAAAAAA"})
    grace = fake_identity.add_candidate("Grace", "Hopper", "grace@example.com", password=PASSWORD)
    return {"ada": ada, "grace": grace, "ada_identity": identity_id}


def _cases(ada: str, ada_identity: int) -> dict[str, list[tuple]]:
    """endpoint → [(method, path, kind, payload)], kind: form (with Grace's CSRF token), json, multipart or None."""
    spy = {"candidate_id": ada, "identity_id": str(ada_identity)}
    settings = {"email": "grace@example.com", "phone": "+1 212 555 0100", "line1": "1 Navy Yard", "line2": "",
                "city": "Arlington", "region": "", "postal_code": "", "country": "US", "company": "Hacked",
                "preferred_language": "en"}
    return {
        "site.home": [("GET", f"/?candidate_id={ada}", None, None)],
        "auth.login": [("GET", f"/login?candidate_id={ada}", None, None),
                       ("POST", "/login", "form", {"login": ada, "password": "a wrong password!!"})],
        "auth.logout": [("POST", f"/logout?candidate_id={ada}", "form", spy)],
        "auth.first_time": [("GET", "/first-time", None, None),
                            ("POST", "/first-time", "form", {"email": "ada@example.com", **spy})],
        "auth.first_time_sent": [("GET", f"/first-time/email-sent?candidate_id={ada}", None, None)],
        "auth.score_report": [("GET", "/first-time/score-report", None, None),
                              ("POST", "/first-time/score-report", "form",
                               {"last_name": "Lovelace", "registration_number": ada, "new_email": "g@navy.example",
                                **spy})],
        "auth.set_first_password": [("GET", f"/first-time/{ada}", None, None),
                                    ("POST", f"/first-time/{ada}", "form", {"password": "x" * 14, "confirm": "x" * 14})],
        "auth.forgot_password": [("GET", "/forgot-password", None, None),
                                 ("POST", "/forgot-password", "form", {"login": ada})],
        "auth.forgot_password_sent": [("GET", "/forgot-password/sent", None, None)],
        "auth.reset_password": [("GET", f"/reset-password/{ada}", None, None),
                                ("POST", f"/reset-password/{ada}", "form", {"password": "x" * 14, "confirm": "x" * 14})],
        "auth.forgot_candidate_id": [("GET", "/forgot-candidate-id", None, None),
                                     ("POST", "/forgot-candidate-id", "form", {"email": "ada@example.com"})],
        "auth.forgot_candidate_id_sent": [("GET", "/forgot-candidate-id/sent", None, None)],
        "auth.confirm_email": [("GET", f"/confirm-email/{ada}", None, None),
                               ("POST", f"/confirm-email/{ada}", "form", {})],
        "auth.support": [("GET", f"/support?candidate_id={ada}", None, None)],
        "profile.settings": [("GET", f"/personal-info?candidate_id={ada}", None, None),
                             ("POST", f"/personal-info?candidate_id={ada}", "form", {**settings, **spy})],
        "profile.identification": [("GET", f"/personal-info/identification?candidate_id={ada}", None, None)],
        "profile.unlink": [("POST", f"/personal-info/identification/{ada_identity}/unlink", "form", spy)],
        # The two new passwords differ: Grace's own password stays, for the requests after.
        "profile.change_password": [("GET", f"/personal-info/password?candidate_id={ada}", None, None),
                                    ("POST", f"/personal-info/password?candidate_id={ada}", "form",
                                     {"new_password": "x" * 14, "confirm": "y" * 14, **spy})],
        "profile.attributes": [("GET", f"/personal-info/attributes?candidate_id={ada}", None, None),
                               ("POST", "/personal-info/attributes", "form",
                                {"netacad_id": "NA-G", "job_title": "Rear Admiral", **spy})],
        "profile.name_change": [("GET", f"/personal-info/name-change?candidate_id={ada}", None, None),
                                ("POST", "/personal-info/name-change", "multipart",
                                 {"first_name": "Grace", "last_name": "Murray", "reason": "Maiden name", **spy})],
        "auth_api.token": [("POST", "/api/v1/auth/token", "json", {"login": ada, "password": "a wrong password"})],
        "auth_api.first_time": [("POST", "/api/v1/auth/first-time", "json", {"email": "ada@example.com"})],
        "auth_api.first_time_by_score_report": [
            ("POST", "/api/v1/auth/first-time/score-report", "json",
             {"last_name": "Lovelace", "registration_number": ada, "new_email": "g@navy.example"})],
        "auth_api.forgot_password": [("POST", "/api/v1/auth/forgot-password", "json", {"email": "ada@example.com"})],
        "auth_api.forgot_candidate_id": [("POST", "/api/v1/auth/forgot-candidate-id", "json",
                                          {"email": "ada@example.com"})],
        "auth_api.set_password": [("POST", "/api/v1/auth/password", "json", {"token": ada, "password": "x" * 14})],
        "me_api.get_me": [("GET", f"/api/v1/me?candidate_id={ada}", "bearer", None),
                          ("GET", "/api/v1/me", "bearer-of-ada-id", None)],
        "me_api.change_password": [
            ("POST", f"/api/v1/me/password?candidate_id={ada}", "json", {"new_password": "x" * 14}),
            ("POST", "/api/v1/me/password", "bearer", {"candidate_id": ada, "new_password": "x" * 14}),
            ("POST", "/api/v1/me/password", "bearer-of-ada-id", {"new_password": "x" * 14})],
        "me_api.patch_me": [("PATCH", f"/api/v1/me?candidate_id={ada}", "bearer", {"company": "Hacked"}),
                            ("PATCH", "/api/v1/me", "bearer", {"candidate_id": ada, "company": "Hacked"}),
                            ("PATCH", "/api/v1/me", "bearer-of-ada-id", {"company": "Hacked"})],
    }


def test_every_identity_endpoint_has_a_case(app):
    endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in IDENTITY_BLUEPRINTS
    }
    assert endpoints <= set(_cases("CSCO10000001", 1))


def _as_grace(app, grace: str):
    client = app.test_client()
    log_in(client, grace, PASSWORD)
    token = client.post("/api/v1/auth/token", json={"login": grace, "password": PASSWORD}).json["access_token"]
    return client, token


def _send(client, token, ada, method, path, kind, payload):
    if kind in ("form", "multipart"):
        page = client.get("/").get_data(as_text=True)  # the logout form carries the session's token
        data = {**payload, "csrf_token": csrf_token(page)}
        if kind == "multipart":
            data["document"] = (io.BytesIO(PNG), "id.png")
        return client.open(path, method=method, data=data)
    if kind in ("bearer", "bearer-of-ada-id"):
        headers = {"Authorization": f"Bearer {token if kind == 'bearer' else ada}"}
        return client.open(path, method=method, headers=headers, json=payload)
    if kind == "json":
        return client.open(path, method=method, json=payload)
    return client.open(path, method=method)


def test_a_second_candidate_never_sees_or_changes_the_firsts_data(app, fake_identity, people):
    ada, grace = people["ada"], people["grace"]
    before = copy.deepcopy((fake_identity.candidates[ada], fake_identity.identities,
                            {i: t for i, t in fake_identity.tickets.items() if t["candidate_id"] == ada}))
    private = [*ADA_PRIVATE.values(), "12 Secret Street", ADA_SUBJECT, ADA_TICKET_NAME]

    for endpoint, requests in _cases(ada, people["ada_identity"]).items():
        for method, path, kind, payload in requests:
            client, token = _as_grace(app, grace)
            calls = len(fake_identity.calls)
            response = _send(client, token, ada, method, path, kind, payload)
            if response.status_code in (301, 302, 303):
                response = client.get(response.headers["Location"])

            where = f"{endpoint}: {method} {path}"
            assert response.status_code < 500, where
            body = response.get_data(as_text=True)
            for secret in private:
                assert secret not in body, f"{where} shows Ada's {secret!r}"
            asked_about = {arguments["candidate_id"] for _, arguments in fake_identity.calls[calls:]
                           if "candidate_id" in arguments}
            assert asked_about <= {grace}, f"{where} asked identity about {asked_about - {grace}}"

    after = (fake_identity.candidates[ada], fake_identity.identities,
             {i: t for i, t in fake_identity.tickets.items() if t["candidate_id"] == ada})
    assert after == before
    # Grace did change her own record, so the requests did reach identity.
    assert fake_identity.candidates[grace]["job_title"] == "Rear Admiral"
    assert fake_identity.candidates[grace]["company"] == "Hacked"
