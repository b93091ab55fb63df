"""First-time login, forgot password and forgot candidate ID answer exactly
the same for an address (or ID) on a record and one that is not: the same
status, headers and body, by page (the answer to the POST and the page it
leads to) and by API."""
from __future__ import annotations

import pytest
from .fakes.identity import csrf_token

PASSWORD = "correct horse battery staple"
# (page, field, API path)
MAIL_FORMS = [
    ("/first-time", "email", "/api/v1/auth/first-time"),
    ("/forgot-password", "login", "/api/v1/auth/forgot-password"),
    ("/forgot-candidate-id", "email", "/api/v1/auth/forgot-candidate-id"),
]


@pytest.fixture
def known(fake_identity):
    """Addresses on a record: one with a password, one waiting for its first-time login."""
    fake_identity.add_candidate("Ada", "Lovelace", "ada@example.com", password=PASSWORD)
    fake_identity.add_candidate("Alan", "Turing", "alan@example.com")
    return ["ada@example.com", "ADA@Example.com", "alan@example.com"]


def _comparable(response) -> tuple:
    # Date and the request id differ from one request to the next whatever the answer.
    headers = sorted((name, value) for name, value in response.headers.items()
                     if name not in ("Date", "X-Request-ID"))
    return response.status_code, headers, response.get_data()


@pytest.mark.parametrize("page, field, _api", MAIL_FORMS)
def test_pages_answer_byte_for_byte_the_same(client, fake_identity, known, page, field, _api):
    token = csrf_token(client.get(page).get_data(as_text=True))
    answers = []
    for value in [*known, "nobody@example.com", "NOBODY@example.org"]:
        posted = client.post(page, data={field: value, "csrf_token": token})
        followed = client.get(posted.headers["Location"])
        answers.append((_comparable(posted), _comparable(followed)))

    assert all(answer == answers[0] for answer in answers)
    assert answers[0][0][0] == 302 and answers[0][1][0] == 200
    assert fake_identity.mails_to("ada@example.com") and not fake_identity.mails_to("nobody@example.com")


def test_forgot_password_by_candidate_id_answers_like_an_unknown_id(client, fake_identity, known):
    ada = next(iter(fake_identity.candidates))
    token = csrf_token(client.get("/forgot-password").get_data(as_text=True))

    answers = [_comparable(client.post("/forgot-password", data={"login": login, "csrf_token": token}))
               for login in (ada, "CSCO99999999")]

    assert answers[0] == answers[1]


@pytest.mark.parametrize("_page, _field, api", MAIL_FORMS)
def test_api_answers_byte_for_byte_the_same(client, fake_identity, known, _page, _field, api):
    answers = [_comparable(client.post(api, json={"email": email}))
               for email in [*known, "nobody@example.com", "NOBODY@example.org"]]

    assert all(answer == answers[0] for answer in answers)
    assert answers[0][0] == 202
