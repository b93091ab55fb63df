"""The transcripts service on a private vhost and database, its projection fed
with events, and `verify` — a verification through either of the service's
entrypoints (the RPC, or the public web app over a Flask test client)."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from transcripts import public_web
from transcripts.service import TranscriptsService

from services.transcripts.tests.support import ADA, TODAY, Projection, candidate, certification, sitting, sitting_revoked

PROXY = "10.0.0.2"  # the web app's one trusted proxy in these tests


@pytest.fixture
def config(private_service_config):
    return private_service_config("transcripts")


@pytest.fixture
def service(container_factory, config):
    container = container_factory(TranscriptsService, config)
    container.start()
    return container


@pytest.fixture
def rpc(service, config):
    with ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]}, timeout=15) as proxy:
        yield proxy.transcripts


@pytest.fixture
def events(config, rpc):
    projection = Projection(config)
    yield projection
    projection.close()


@pytest.fixture
def ada_record(events):
    """Ada holds CCNA (active) and DevNet (active, but its validity ended today:
    no expiry event yet); CCNP expired, CyberOps revoked, CCIE in progress;
    one passed exam, one failed, one passed then revoked."""
    events.publish(
        candidate(ADA, "Ada", "Lovelace", "ada@example.com"),
        certification("achieved", ADA, "ccna", "active", 1),
        certification("achieved", ADA, "devnet_associate", "active", 1,
                      active_on=TODAY - timedelta(days=3 * 365), expires_on=TODAY),
        certification("expired", ADA, "ccnp_enterprise", "expired", 2,
                      active_on=TODAY - timedelta(days=4 * 365), expires_on=TODAY - timedelta(days=300)),
        certification("revoked", ADA, "cyberops_associate", "revoked", 2),
        certification("achieved", ADA, "ccie_enterprise_infrastructure", "in_progress", 1),
        sitting("pass", ADA, 1, exam_code="200-301", exam_title="CCNA"),
        sitting("fail", ADA, 2, exam_code="350-401", exam_title="ENCOR"),
        sitting("pass", ADA, 3, exam_code="200-201", exam_title="CBROPS"),
        sitting_revoked(ADA, 3, exam_code="200-201"),
    )


def make_web(config, **settings):
    return public_web.create_app({"DATABASE_URL": config["DATABASE_URL"], "CERTTRACK_ENV": "test", **settings})


@pytest.fixture
def web(config):
    """The public web app behind one trusted proxy (as in production, behind the ingress)."""
    app = make_web(config, TRUSTED_PROXY_COUNT=1)
    yield app.test_client()
    app.extensions["transcripts_connections"].close()
    app.extensions["transcripts_db"].dispose()


ERROR_CODES = {404: ("TranscriptNotFound", "transcript_not_found"), 410: ("TranscriptInactive", "transcript_inactive"),
               429: ("TooManyAttempts", "too_many_attempts")}


def web_verify(web, code, access_code, client):
    """`GET /api/v1/verify/<code>` from `client` (through the trusted proxy); a refusal is
    raised as the RPC would raise it, after checking the answer's HTTP shape."""
    where = {"query_string": {"access_code": access_code}, "headers": {"X-Forwarded-For": client},
             "environ_base": {"REMOTE_ADDR": PROXY}}
    answer = web.get(f"/api/v1/verify/{code}", **where)
    assert answer.headers["Cache-Control"] == "no-store" and answer.headers["X-Robots-Tag"] == "noindex"
    if answer.status_code == 200:
        return answer.json
    exc_type, error_code = ERROR_CODES[answer.status_code]
    # Nothing but the error: no name, no certification, no state.
    assert set(answer.json) == {"error"} and answer.json["error"]["code"] == error_code
    assert answer.json["error"]["fields"] == {}
    detail = {}
    if answer.status_code == 429:
        detail = {"retry_after_seconds": int(answer.headers["Retry-After"])}
    elif answer.status_code == 410:
        # The JSON says only "inactive"; the page says which (and counts nothing either).
        text = web.get(f"/verify/{code}", **where).get_data(as_text=True)
        detail = {"state": "deactivated" if "deactivated by its owner" in text else "expired"}
    raise RemoteError(exc_type, json.dumps(detail, sort_keys=True))


@pytest.fixture
def verify(web):
    """verify(code, access_code, client=…) through the public web app, the one way a
    third party verifies."""

    def through_web(code, access_code, client="198.51.100.7"):
        return web_verify(web, code, access_code, client)
    return through_web
