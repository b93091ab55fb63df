"""HSTS: production's answers tell browsers to use HTTPS only; plain-http development does not."""
from __future__ import annotations

import os

import pytest

from certtrack_shared.production import STRICT_TRANSPORT_SECURITY


@pytest.fixture
def production_environment(monkeypatch):
    """Only the settings the app is given: production also checks what the environment carries."""
    for name in list(os.environ):
        if name in ("AMQP_URI", "REDIS_URL", "SECRET_KEY") or name.endswith("_DATABASE_URL"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("path", ["/", "/login", "/api/v1/openapi.json", "/api/v1/me", "/no-such-page"])
def test_production_answers_carry_hsts_on_pages_api_and_errors(make_app, production_environment, path):
    client = make_app(CERTTRACK_ENV="production", SITE_URL="https://certtrack.example").test_client()

    answer = client.get(path)

    assert answer.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    assert STRICT_TRANSPORT_SECURITY == "max-age=63072000; includeSubDomains"


@pytest.mark.parametrize("environment", ["development", "test"])
def test_plain_http_development_and_tests_send_no_hsts(make_app, environment):
    client = make_app(CERTTRACK_ENV=environment).test_client()

    for path in ("/", "/api/v1/openapi.json"):
        assert "Strict-Transport-Security" not in client.get(path).headers
