"""The whole stack, started the way `make run` starts it, on private resources.

`deploy/run_stack.py` runs with this test run's RabbitMQ vhost, databases,
ports and mailbox, so the end-to-end tests see exactly what a developer sees
after `make run`, without touching a running `make run`.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

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
            OIDC_PORT=str(self.oidc_port),
        )
        self.env.pop("OIDC_ISSUER", None)  # always the stack's own provider
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

    def stop(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        try:
            return self.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait(10)
