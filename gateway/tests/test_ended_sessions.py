"""Logging out ends the session on the server too: a copy of the cookie taken before the
logout is refused afterwards (gateway/ended_sessions.py, against the real Redis on
127.0.0.1:6379). When Redis is away the site keeps working."""
from __future__ import annotations

import pytest
import redis
from .fakes.identity import csrf_token, log_in

from gateway import ended_sessions
from gateway.auth.session import ABSOLUTE_LIFETIME_SECONDS

from .accounts import PASSWORD, SUPPORT_STAFF, staff_signed_in

@pytest.fixture(params=[False, True], ids=["replies-not-kept", "replies-kept"])
def app(make_app, request):
    """Either way: with kept page replies (decision 0034) the check rides on their read."""
    return make_app(VIEW_CACHE=request.param)


def _copy_of_session(app, client, name: str, path: str = "/"):
    """A second browser holding a copy of `client`'s cookie `name`."""
    copy = app.test_client()
    copy.set_cookie(name, client.get_cookie(name, path=path).value, path=path)
    return copy


def _ended_keys() -> set[bytes]:
    return set(redis.Redis.from_url("redis://127.0.0.1:6379/0").keys(ended_sessions.KEY_PREFIX + "*"))


def test_a_copied_candidate_cookie_stops_working_at_logout(app, client, ada):
    log_in(client, ada, PASSWORD)
    thief = _copy_of_session(app, client, "session")
    assert thief.get("/personal-info").status_code == 200  # the copy is as good as the original…
    before = _ended_keys()

    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})

    refused = thief.get("/personal-info")  # …until the candidate logs out
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    [key] = _ended_keys() - before
    # Remembered only as long as the session could have lived anyway.
    ttl = redis.Redis.from_url("redis://127.0.0.1:6379/0").ttl(key)
    assert ABSOLUTE_LIFETIME_SECONDS - 60 < ttl <= ABSOLUTE_LIFETIME_SECONDS


def test_logging_in_again_after_a_logout_gives_a_working_session(client, ada):
    log_in(client, ada, PASSWORD)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    log_in(client, ada, PASSWORD)
    assert client.get("/personal-info").status_code == 200


def test_another_candidates_logout_leaves_a_session_alone(app, ada, grace):
    from .accounts import OTHER_PASSWORD

    ada_browser, grace_browser = app.test_client(), app.test_client()
    log_in(ada_browser, ada, PASSWORD)
    log_in(grace_browser, grace, OTHER_PASSWORD)
    grace_browser.post("/logout", data={"csrf_token": csrf_token(grace_browser.get("/").get_data(as_text=True))})
    assert ada_browser.get("/personal-info").status_code == 200


def test_a_copied_staff_cookie_stops_working_at_logout(app, client, fake_identity):
    staff = staff_signed_in(app, client, SUPPORT_STAFF)
    thief = _copy_of_session(app, staff, "certtrack_staff", path="/staff")
    assert thief.get("/staff/candidates").status_code == 200
    token = csrf_token(staff.get("/staff/candidates").get_data(as_text=True))

    staff.post("/staff/logout", data={"csrf_token": token})

    refused = thief.get("/staff/candidates")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/staff/login")
