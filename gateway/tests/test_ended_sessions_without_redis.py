"""When Redis, where logouts are remembered, cannot be reached, the site keeps working:
candidates log in, use their pages and log out; the gap is logged (gateway/ended_sessions.py)."""
from __future__ import annotations

import logging

import pytest
from .fakes.identity import csrf_token, log_in

from .accounts import PASSWORD

NO_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def app(make_app):
    return make_app(REDIS_URL=NO_REDIS)


def test_candidates_still_log_in_use_the_site_and_log_out(client, ada, caplog):
    caplog.set_level(logging.WARNING, logger="gateway.ended_sessions")

    log_in(client, ada, PASSWORD)
    assert client.get("/personal-info").status_code == 200
    logged_out = client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})

    assert logged_out.headers["Location"] == "/login"
    assert client.get("/personal-info").status_code == 302  # this browser's cookie is cleared
    messages = [record.getMessage() for record in caplog.records]
    assert any("letting the session through" in message for message in messages)
    assert any("could not record a logout" in message for message in messages)
