"""Where everything shares one port, the gateway passes the public
verification paths on to the transcripts web app (gateway/gateway/transcripts/forwarding.py):
status, body and the app's headers come back as the app sent them; the client address
the app sees is the one the gateway saw; `/verify/certificate/…` stays on the gateway."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@pytest.fixture
def transcripts_web():
    """A stand-in for the transcripts web app on a free local port; records each request."""
    seen = []

    @Request.application
    def stand_in(request):
        seen.append({"path": request.path, "args": dict(request.args), "headers": dict(request.headers)})
        if request.path.startswith("/api/"):
            return Response('{"error": {"code": "too_many_attempts", "message": "m", "fields": {}}}', status=429,
                            mimetype="application/json",
                            headers={"Retry-After": "120", "Cache-Control": "no-store", "X-Robots-Tag": "noindex",
                                     "Set-Cookie": "tracking=1", "Server": "stand-in"})
        return Response("<h1>Verified transcript</h1>", mimetype="text/html",
                        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})

    server = make_server("127.0.0.1", 0, stand_in, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()


@pytest.fixture
def forwarding_app(make_app, transcripts_web):
    url, _seen = transcripts_web
    app = make_app(TRANSCRIPTS_WEB_URL=url)

    class RecordingRpc:  # the forwarded paths must not ask any service
        def __init__(self):
            self.asked = []

        def call(self, service, method, *args, **kwargs):
            self.asked.append((service, method))
            raise RuntimeError("no service in this test")

        def close(self):
            pass

    app.extensions["rpc"].close()
    app.extensions["rpc"] = RecordingRpc()
    return app


def test_the_api_answer_comes_back_as_the_web_app_gave_it(forwarding_app, transcripts_web):
    _url, seen = transcripts_web

    answer = forwarding_app.test_client().get(
        "/api/v1/verify/abc?access_code=s3cret", headers={"X-Forwarded-For": "192.0.2.66"},
        environ_base={"REMOTE_ADDR": "203.0.113.5"})

    assert forwarding_app.extensions["rpc"].asked == []
    assert answer.status_code == 429
    assert answer.json["error"]["code"] == "too_many_attempts"
    assert answer.headers["Retry-After"] == "120" and answer.headers["X-Robots-Tag"] == "noindex"
    assert "Set-Cookie" not in answer.headers and answer.headers.get("Server") != "stand-in"
    (request,) = seen
    assert request["path"] == "/api/v1/verify/abc" and request["args"] == {"access_code": "s3cret"}
    # The gateway trusts no proxy: what the client wrote is dropped; the app sees the gateway's view.
    assert request["headers"]["X-Forwarded-For"] == "203.0.113.5"


def test_the_page_is_forwarded_and_certificates_stay_on_the_gateway(forwarding_app, transcripts_web):
    _url, seen = transcripts_web
    client = forwarding_app.test_client()

    page = client.get("/verify/abc?access_code=s3cret")
    assert page.status_code == 200 and b"Verified transcript" in page.data
    assert [request["path"] for request in seen] == ["/verify/abc"]

    # /verify/certificate/<code> is the certs service's, answered by the gateway itself.
    client.get("/verify/certificate/CT-123")
    assert forwarding_app.extensions["rpc"].asked == [("certs", "verify_certificate")]
    assert len(seen) == 1


def test_an_unreachable_web_app_is_a_503_not_a_trace(make_app):
    app = make_app(TRANSCRIPTS_WEB_URL="http://127.0.0.1:1")

    answer = app.test_client().get("/api/v1/verify/abc?access_code=x")

    assert answer.status_code == 503
    assert set(answer.json["error"]) == {"code", "message", "fields"}


def test_without_the_web_app_configured_verification_is_a_503_and_the_log_says_why(make_app, caplog):
    app = make_app(TRANSCRIPTS_WEB_URL="")

    answer = app.test_client().get("/api/v1/verify/abc?access_code=s3cret")
    page = app.test_client().get("/verify/abc")

    assert (answer.status_code, page.status_code) == (503, 503)
    assert answer.json["error"]["code"] == "service_unavailable"
    assert "TRANSCRIPTS_WEB_URL is not set" in caplog.text
    assert "s3cret" not in caplog.text
