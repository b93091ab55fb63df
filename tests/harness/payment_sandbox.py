"""The payment sandbox (deploy/payment_sandbox) in its own process, on a free port.

Its own process, as `make run` starts it: the nameko test run is
eventlet-patched, and the sandbox is a separate party (a processor's test
mode) that CertTrack reaches only over HTTP. `charges(candidate_id)` reads its
ledger: the succeeded charges made for that candidate's checkouts.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.harness.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "sk_test_harness"


class PaymentSandbox:
    def __init__(self, folder: Path, allowed_origins: str = "http://127.0.0.1"):
        self.folder = folder
        self.port = free_port()
        self.database = folder / "payment_sandbox.sqlite3"
        self.log = folder / "payment-sandbox.log"
        self.allowed_origins = allowed_origins
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> dict:
        """What a fulfillment service needs to charge through this sandbox."""
        return {"PAYMENT_PROCESSOR": "fulfillment.payments.SandboxPaymentProcessor",
                "PAYMENT_SANDBOX_URL": self.url, "PAYMENT_SANDBOX_SECRET_KEY": SECRET_KEY}

    def start(self) -> "PaymentSandbox":
        self.folder.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PYTHONPATH=str(ROOT / "deploy"), PAYMENT_SANDBOX_PORT=str(self.port),
                   PAYMENT_SANDBOX_DATABASE=str(self.database), PAYMENT_SANDBOX_SECRET_KEY=SECRET_KEY,
                   PAYMENT_SANDBOX_ALLOWED_ORIGINS=self.allowed_origins)
        self.process = subprocess.Popen([sys.executable, "-m", "payment_sandbox"], cwd=ROOT, env=env,
                                        stdin=subprocess.DEVNULL, stdout=self.log.open("a"),
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the payment sandbox exited:\n{self.log.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("the payment sandbox did not start")

    def tokenize(self, number: str, exp_month=12, exp_year=2034, cvc="123", origin: str | None = None) -> dict:
        """What the checkout page's script does: the card to the sandbox, a `pm_…` (or its error) back."""
        headers = {"Origin": origin} if origin else {}
        answer = requests.post(f"{self.url}/v1/payment_methods", timeout=10, headers=headers, json={
            "type": "card", "card": {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc}})
        return answer.json()

    def charges(self, candidate_id: str) -> list[tuple]:
        """(reference, amount, brand, last4, refunded) of each succeeded charge for this candidate's checkouts, oldest first."""
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as connection:
            return connection.execute(
                "SELECT c.id, c.amount, c.brand, c.last4, c.amount_refunded FROM charges c "
                "JOIN idempotent_requests r ON r.endpoint = 'charges' AND json_extract(r.body, '$.id') = c.id "
                "WHERE r.key LIKE ? AND c.status = 'succeeded' ORDER BY c.created, c.rowid",
                (f"charge:{candidate_id}:%",)).fetchall()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
