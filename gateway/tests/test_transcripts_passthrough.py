"""Verification links go to the transcripts web app on a kept-alive connection, in front of
Flask (gateway/gateway/transcripts/passthrough.py, web_app.py; decision 0036): what the
web app is told, what comes back, and each way the web app can fail."""
from __future__ import annotations

import pytest

from gateway import metrics

from .fakes.transcripts_web import HANG, StandIn

LINK = "/api/v1/verify/Tw2Pq5-_QksOMiD?access_code=s_Q80HtMDOAHp-grDO"


@pytest.fixture
def web():
    stand_in = StandIn()
    yield stand_in
    stand_in.close()


@pytest.fixture
def client(make_app, web):
    app = make_app(TRANSCRIPTS_WEB_URL=web.url)
    yield app.test_client()
    app.extensions["transcripts_web"].close()


def test_a_web_app_restarted_between_two_requests_answers_the_second(client, web):
    assert client.get(LINK).status_code == 200

    web.restart()  # the kept-alive connection of the first request is gone
    second = client.get(LINK)

    assert second.status_code == 200 and second.json == {"verified": True}
    assert len(web.seen) == 2  # each request reached it once
    assert web.connections == 2


def test_requests_share_one_kept_alive_connection(client, web):
    for _ in range(3):
        assert client.get(LINK).json == {"verified": True}

    assert len(web.seen) == 3 and web.connections == 1


def test_a_hanging_web_app_is_a_504_not_a_hung_worker(client, web):
    web.answer = lambda path: HANG

    answer = client.get(LINK)  # RPC_TIMEOUT is 1 s in these tests

    assert answer.status_code == 504
    assert answer.json["error"]["code"] == "service_timeout"
    web.answer = lambda path: (200, {"Content-Type": "application/json"}, b'{"verified": true}')
    assert client.get(LINK).status_code == 200  # the next one, on a new connection


def test_a_web_app_that_is_down_is_a_503_page_in_words(make_app):
    app = make_app(TRANSCRIPTS_WEB_URL="http://127.0.0.1:1")

    page = app.test_client().get("/verify/Tw2Pq5-_QksOMiD?access_code=x", headers={"Accept": "text/html"})

    assert page.status_code == 503
    assert b"temporarily unavailable" in page.data and b"Traceback" not in page.data


@pytest.mark.parametrize("answer", [
    b"this is not HTTP\r\n\r\n",
    (200, {"Content-Type": "application/json", "Content-Length": str(5 * 1024 * 1024)}, b"{}"),
])
def test_an_answer_that_cannot_be_passed_on_is_a_502(client, web, answer):
    web.answer = lambda path: answer

    got = client.get(LINK)

    assert got.status_code == 502
    assert got.json["error"]["code"] == "bad_gateway"


def test_cookies_and_authorization_stay_with_the_gateway_and_the_request_id_goes_on(client, web):
    client.set_cookie("session", "the-candidates-session")

    answer = client.get(LINK, headers={"Authorization": "Bearer secret-token", "X-Request-ID": "req-42",
                                       "X-Forwarded-For": "192.0.2.66"},
                        environ_base={"REMOTE_ADDR": "203.0.113.5"})

    assert answer.status_code == 200 and answer.headers["X-Request-ID"] == "req-42"
    (seen,) = web.seen
    sent = {name.lower(): value for name, value in seen["headers"].items()}
    assert "cookie" not in sent and "authorization" not in sent
    assert sent["x-request-id"] == "req-42" and sent["x-forwarded-for"] == "203.0.113.5"
    assert seen["path"] == LINK


def test_the_answer_carries_the_sites_protections_and_only_the_web_apps_own_headers(client, web):
    web.answer = lambda path: (200, {"Content-Type": "text/html", "Set-Cookie": "tracking=1",
                                     "Server": "stand-in"}, b"<h1>Verified transcript</h1>")

    page = client.get("/verify/Tw2Pq5-_QksOMiD?access_code=s_Q80HtMDOAHp-grDO")

    assert page.status_code == 200 and page.data == b"<h1>Verified transcript</h1>"
    assert "Set-Cookie" not in page.headers and page.headers.get("Server") != "stand-in"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Request-ID"]


def test_a_link_is_counted_under_its_route(client, web):
    before = metrics.REQUESTS.labels("GET", "/api/v1/verify/<code>", "200")._value.get()

    client.get(LINK)

    assert metrics.REQUESTS.labels("GET", "/api/v1/verify/<code>", "200")._value.get() == before + 1


def test_an_unusual_query_is_still_forwarded_encoded(client, web):
    answer = client.get("/api/v1/verify/abc?access_code=a b+c%2Fd")

    assert answer.status_code == 200
    assert web.seen[0]["path"] == "/api/v1/verify/abc?access_code=a%20b+c%2Fd"


def test_text_no_service_can_store_is_refused_before_the_web_app_is_asked(client, web):
    answer = client.get("/api/v1/verify/abc?access_code=%00")

    assert answer.status_code == 400 and web.seen == []


def test_head_is_answered_without_a_body(client, web):
    answer = client.head(LINK)

    assert answer.status_code == 200 and answer.data == b""
    assert [seen["path"] for seen in web.seen] == [LINK]
