"""The security sweeps' world: candidates A (who owns one of everything), B (the attacker)
and C (the fuzzer's account) on the real stack (tests/conftest.py), and the gateway's
routes read from its URL map and OpenAPI document at collection time."""
from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta, timezone
from functools import cache

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.e2e.identity_steps import report_candidate
from tests.e2e.test_fulfillment import PASSWORD, candidate_with_a_ccna_kit, set_password
from tests.security.routes import gateway_routes

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
# What each sweep covered, for the summary at the end of the run.
COVERED: dict[str, list[str]] = {}


@cache
def gateway():
    """(routes, OpenAPI document) of the gateway this checkout builds: the stack runs the same code."""
    from gateway.app import create_app

    app = create_app({"CERTTRACK_ENV": "test", "SECRET_KEY": "security-sweep-" + "k" * 32,
                      "AMQP_URI": "amqp://gateway:not-the-user-name@127.0.0.1:1/", "RPC_TIMEOUT": 1.0})
    try:
        openapi = app.test_client().get("/api/v1/openapi.json").json
        return gateway_routes(app, openapi), openapi
    finally:
        app.extensions["rpc"].close()


def csrf_token(page: str) -> str:
    found = CSRF_INPUT.search(page)
    assert found, "no CSRF token on the page"
    return found.group(1) or found.group(2)


class Candidate:
    """A candidate with a password, a logged-in browser session and a bearer token."""

    def __init__(self, stack, candidate_id: str, email: str):
        self.stack, self.candidate_id, self.email = stack, candidate_id, email
        self.session = requests.Session()
        login_page = self.session.get(f"{stack.url}/login", timeout=10).text
        answer = self.session.post(f"{stack.url}/login", timeout=10, allow_redirects=False, data={
            "login": candidate_id, "password": PASSWORD, "csrf_token": csrf_token(login_page)})
        assert answer.status_code in (302, 303), f"login of {candidate_id}: {answer.status_code}"
        token = requests.post(f"{stack.url}/api/v1/auth/token", timeout=10,
                              json={"login": candidate_id, "password": PASSWORD}).json()["access_token"]
        self.bearer = {"Authorization": f"Bearer {token}"}

    def csrf(self) -> str:
        """The session's CSRF token, as the logout form in every page's header carries it."""
        return csrf_token(self.session.get(f"{self.stack.url}/", timeout=10).text)

    def accept_certification_agreement(self) -> None:
        """Documents need the agreement: accepted, only ownership tells A's from B's."""
        version = self.api("GET", "/api/v1/me/certification-agreement").json()["version"]
        answer = self.api("POST", "/api/v1/me/certification-agreement", json={"version": version})
        assert answer.status_code == 200, answer.text

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, f"{self.stack.url}{path}", headers=self.bearer, timeout=30,
                                allow_redirects=False, **kwargs)


def plain_candidate(stack, amqp_uri, name: str) -> Candidate:
    email = f"{name}.{uuid.uuid4().hex[:10]}@example.com"
    candidate_id = report_candidate(amqp_uri, email, first_name=name.title(), last_name="Sweep")
    set_password(stack, email)
    return Candidate(stack, candidate_id, email)


class Owner(Candidate):
    """Candidate A: one real identifier of each kind a candidate owns, made on first use."""

    def __init__(self, stack, amqp_uri, run_databases):
        email = f"owner.{uuid.uuid4().hex[:10]}@example.com"
        super().__init__(stack, candidate_with_a_ccna_kit(stack, amqp_uri, email), email)
        self.run_databases = run_databases
        self._made: dict[str, str] = {}

    PROVIDERS = {
        "certification": "_certification", "order": "_order", "transcript": "_transcript",
        "credential": "_credential",
    }

    def identifier(self, kind: str) -> str | None:
        """A's identifier of `kind`, or None when the sweep has no way to make one yet."""
        if kind not in self.PROVIDERS:
            return None
        if kind not in self._made:
            self._made[kind] = str(getattr(self, self.PROVIDERS[kind])())
        return self._made[kind]

    def _certification(self) -> str:
        held = self.api("GET", "/api/v1/me/certifications").json()
        ids = [item["id"] for item in held["items"]] if isinstance(held, dict) else [item["id"] for item in held]
        assert "ccna" in ids, held
        return "ccna"

    def _order(self) -> str:
        answer = self.api("POST", "/api/v1/me/orders", json={
            "idempotency_key": f"sweep-{uuid.uuid4().hex}",
            "items": [{"kind": "entitlement", "certification_id": "ccna"}],
            "ship_to": {"name": "John Hamilton", "line1": "1 Main St", "city": "San Jose", "region": "CA",
                        "postal_code": "95134", "country": "US"},
            "shipping_method": "standard"})
        assert answer.status_code == 201, answer.text
        return answer.json()["order_id"]

    def _transcript(self) -> str:
        answer = self.api("POST", "/api/v1/me/transcripts", json={
            "description": "For the ownership sweep", "valid_through": (date.today() + timedelta(days=30)).isoformat(),
            "display": {"certifications": "all_active"}})
        assert answer.status_code == 201, answer.text
        return answer.json()["code"]

    def _credential(self) -> int:
        """An SSO identity linked to A, written straight into identity's table: how it got
        linked is the SSO tests' business, who may unlink it is this sweep's."""
        engine = create_engine(self.run_databases.url("e2e_identity"))
        try:
            with engine.begin() as connection:
                return connection.execute(text(
                    "INSERT INTO external_identities (candidate_id, issuer, subject, email, linked_at) "
                    "VALUES (:candidate, :issuer, :subject, :email, :now) RETURNING id"), {
                    "candidate": self.candidate_id, "issuer": self.stack.oidc_issuer,
                    "subject": f"sweep-{uuid.uuid4().hex}", "email": self.email,
                    "now": datetime.now(timezone.utc)}).scalar_one()
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def owner(stack, amqp_uri, run_databases) -> Owner:
    owner = Owner(stack, amqp_uri, run_databases)
    owner.accept_certification_agreement()
    return owner


@pytest.fixture(scope="session")
def attacker(stack, amqp_uri) -> Candidate:
    attacker = plain_candidate(stack, amqp_uri, "mallory")
    attacker.accept_certification_agreement()
    return attacker


def pytest_terminal_summary(terminalreporter):
    for sweep, routes in COVERED.items():
        terminalreporter.write_line(f"security sweep {sweep}: {len(routes)} routes covered")
        for route in routes:
            terminalreporter.write_line(f"  {route}")
