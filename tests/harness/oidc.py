"""A real OpenID Connect provider (oidc-provider-mock) in its own process.

The provider `make run` starts in development (deploy/run_stack.py), here on a
free port for one test run. It accepts any client ID and secret, and its
authorize endpoint signs in whoever is named: a browser types a subject into
its form, a test POSTs the form field `sub` (see `OidcProvider.authorize`).

Use it from a test module or conftest with
`from tests.harness.oidc import oidc_provider  # noqa: F401`.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.harness.smtp import free_port

START_TIMEOUT_SECONDS = 30


class OidcProvider:
    def __init__(self, log_path: Path, port: int | None = None):
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "OidcProvider":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(self.port)],
            stdin=subprocess.DEVNULL, stdout=self.log_path.open("w"), stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"oidc-provider-mock exited:\n{self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"oidc-provider-mock did not answer within {START_TIMEOUT_SECONDS}s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def authorize(self, authorization_url: str, sub: str, *, deny: bool = False) -> str:
        """What the person's browser does at the provider: sign in as `sub` (or
        press Deny). Returns the redirect back to the client, with code and state."""
        data = {"action": "deny"} if deny else {"sub": sub}
        response = requests.post(authorization_url, data=data, allow_redirects=False, timeout=10)
        if response.status_code != 302:
            raise AssertionError(f"provider answered {response.status_code}: {response.text[:500]}")
        return response.headers["Location"]

    def set_user(self, sub: str, claims: dict) -> None:
        """Give a subject the claims (email, name…) the provider will assert."""
        requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10).raise_for_status()


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    provider = OidcProvider(tmp_path_factory.mktemp("oidc") / "provider.log").start()
    yield provider
    provider.stop()
