"""The candidate's session cookie is re-signed at most once a minute while it is used
(gateway/gateway/auth/session_cookie.py): a session still lasts its idle lifetime from
(nearly) its last request, and a changed session is always sent."""
from __future__ import annotations

from datetime import timedelta

from gateway.auth import session_cookie

from .accounts import PASSWORD
from .fakes.identity import log_in


def _sets_session_cookie(answer) -> bool:
    return any(value.startswith("session=") for value in answer.headers.getlist("Set-Cookie"))


def test_a_session_used_again_within_the_minute_is_not_resent(client, ada):
    log_in(client, ada, PASSWORD)
    client.get("/personal-info")  # the first page after the login keeps a CSRF secret: a change

    answer = client.get("/personal-info")

    assert answer.status_code == 200 and not _sets_session_cookie(answer)


def test_a_session_signed_a_minute_ago_is_resent_and_keeps_working(client, ada, monkeypatch):
    log_in(client, ada, PASSWORD)
    monkeypatch.setattr(session_cookie, "REFRESH_AFTER_SECONDS", 0)  # as if the minute had passed

    answer = client.get("/personal-info")

    assert answer.status_code == 200 and _sets_session_cookie(answer)
    assert client.get("/personal-info").status_code == 200


def test_a_session_idle_past_its_lifetime_is_over(app, client, ada):
    log_in(client, ada, PASSWORD)
    app.permanent_session_lifetime = timedelta(seconds=-1)  # its cookie was signed longer ago than that

    answer = client.get("/personal-info")

    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
