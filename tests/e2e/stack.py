"""The whole stack, started the way `make run` starts it, on private resources.

`deploy/run_stack.py` runs with this test run's RabbitMQ vhost, databases,
ports and mailbox, so the end-to-end tests see exactly what a developer sees
after `make run`, without touching a running `make run`. It runs two
processes of each service (`REPLICAS`, issue 17; `E2E_REPLICAS=1` for one),
as production runs several pods: every end-to-end test also checks that
nothing happens twice and nothing is lost between replicas.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.harness.payment_sandbox import PaymentSandbox
from tests.harness.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]


class Stack:
    def __init__(self, amqp_uri: str, database_urls: dict[str, str], folder: Path):
        self.port = free_port()
        # run_stack starts its development OIDC provider here (single sign-on).
        self.oidc_port = free_port()
        self.folder = folder
        self.maildir = folder / "devmail"
        self.log = folder / "run_stack.log"
        self.env = dict(
            os.environ,
            CERTTRACK_ENV="development",
            PORT=str(self.port),
            AMQP_URI=amqp_uri,
            SMTP_URL=f"smtp://127.0.0.1:{free_port()}",
            DEV_MAILDIR=str(self.maildir),
            SITE_URL=f"http://127.0.0.1:{self.port}",
            LOG_DIR=str(folder / "log"),
            SECRET_KEY="e2e-secret-key-not-for-production",
            READY_TIMEOUT="120",
            REPLICAS=os.environ.get("E2E_REPLICAS", "2"),
            # Metrics ports are fixed per component (make run's 9100…): stacks side by side
            # (the drill's restored one, a developer's make run) would take each other's.
            METRICS_PORT_BASE="off",
            OIDC_PORT=str(self.oidc_port),
            # The transcripts web app (verification), which the gateway forwards to.
            TRANSCRIPTS_WEB_PORT=str(free_port()),
            # The warehouse simulator answers within seconds, never rejects (deploy/warehouse_simulator.py).
            WAREHOUSE_SHIP_AFTER="2",
            WAREHOUSE_DELIVER_AFTER="2",
            WAREHOUSE_REJECT_FRACTION="0",
            # A handler that fails for a passing reason (a deadlock, a restart) is retried as in
            # production, only sooner (production: 1 s … 2 min): the unit suites' 200/400 ms would
            # dead-letter an event the whole stack needs after less than a second of trouble.
            CONSUMER_RETRY_DELAYS_MS="200,1000,3000,10000",
        )
        self.env.pop("OIDC_ISSUER", None)  # always the stack's own provider
        # The payment processor's test mode, which the checkout page hands cards to (decision 0017):
        # a party outside CertTrack, so started beside the stack; its log joins the stack's logs.
        self.payment_sandbox = PaymentSandbox(folder / "log", allowed_origins=self.url)
        self.env.update(self.payment_sandbox.config(), PAYMENT_SANDBOX_PORT=str(self.payment_sandbox.port))
        for service, url in database_urls.items():
            self.env[f"{service.upper()}_DATABASE_URL"] = url
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def oidc_issuer(self) -> str:
        return f"http://127.0.0.1:{self.oidc_port}"

    def start(self) -> "Stack":
        self.payment_sandbox.start()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "deploy" / "run_stack.py")],
            cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL,
            stdout=self.log.open("w"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"run_stack exited:\n{self.log.read_text()[-4000:]}")
            try:
                if requests.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"stack not ready in time:\n{self.log.read_text()[-4000:]}")

    def problems(self, limit: int = 40) -> str:
        """The services' warnings and errors so far (retries, dead letters, tracebacks), for
        a failing test's message: the stack's logs are gone with the CI machine."""
        lines = []
        for log in sorted((self.folder / "log").glob("*.log")):
            for line in log.read_text(errors="replace").splitlines():
                if (" WARNING " in line or " ERROR " in line) and "(expected)" not in line:
                    lines.append(f"{log.stem}: {line[:300]}")
        return "\n".join(lines[-limit:]) or "(no warnings or errors logged)"

    def stop(self) -> int | None:
        self.payment_sandbox.stop()
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        try:
            return self.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait(10)
