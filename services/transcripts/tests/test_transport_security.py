"""HSTS on the public web app: in production on the page and on the plain-WSGI API, never in development."""
from __future__ import annotations

import os

import pytest

from services.transcripts.tests.conftest import make_web

HSTS = "max-age=63072000; includeSubDomains"


@pytest.fixture
def production_environment(monkeypatch):
    """Only the settings the app is given: production also checks what the environment carries."""
    for name in list(os.environ):
        if name in ("AMQP_URI", "REDIS_URL", "SECRET_KEY") or name.endswith("_DATABASE_URL"):
            monkeypatch.delenv(name)


@pytest.fixture
def web_app(config):
    apps = []

    def make(environment):
        app = make_web(config, CERTTRACK_ENV=environment)
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        app.extensions["transcripts_connections"].close()
        app.extensions["transcripts_db"].dispose()


# The API path is answered before Flask (VerifyApi); HEAD goes through Flask's route.
PATHS = [("GET", "/verify/TRX-UNKNOWN"), ("GET", "/api/v1/verify/TRX-UNKNOWN?access_code=x"),
         ("HEAD", "/api/v1/verify/TRX-UNKNOWN?access_code=x"), ("GET", "/healthz"), ("GET", "/nowhere")]


@pytest.mark.parametrize("method, path", PATHS)
def test_production_answers_carry_hsts(web_app, production_environment, method, path):
    answer = web_app("production").open(path, method=method)

    assert answer.headers["Strict-Transport-Security"] == HSTS
    assert answer.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("environment", ["development", "test"])
@pytest.mark.parametrize("method, path", PATHS[:2])
def test_plain_http_development_and_tests_send_no_hsts(web_app, environment, method, path):
    answer = web_app(environment).open(path, method=method)

    assert "Strict-Transport-Security" not in answer.headers
    assert answer.headers["X-Frame-Options"] == "DENY"
