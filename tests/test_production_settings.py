"""Production refuses insecure settings, process by process (docs/decisions/0015).

Every CertTrack process is started as `make run` starts it (deploy/run_stack.py's
commands: `nameko run` for each service, gunicorn for the gateway and the
transcripts web app) with CERTTRACK_ENV=production: with the broker's `guest`
user it exits at once, non-zero, naming AMQP_URI; with a broker user of its own
on loopback it starts and answers.
"""
from __future__ import annotations

import importlib
import os
import secrets
import signal
import subprocess
import sys
import time
from urllib.parse import quote, urlsplit

import pytest
import requests
from nameko.exceptions import UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from tests.harness.broker import BASE_AMQP, _api
from tests.harness.smtp import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVICES = sorted(name for name in os.listdir(os.path.join(ROOT, "services"))
                  if os.path.isfile(os.path.join(ROOT, "services", name, "config.yml")))
PROCESSES = [*SERVICES, "gateway", "transcripts-web"]
REFUSED_WITHIN_SECONDS = 20
STARTED_WITHIN_SECONDS = 60
# Settings a developer's shell may carry, which would change what is checked.
CHECKED = ("AMQP_URI", "REDIS_URL", "SECRET_KEY", "PGSSLMODE")


def _run_stack():
    deploy = os.path.join(ROOT, "deploy")
    if deploy not in sys.path:
        sys.path.append(deploy)
    return importlib.import_module("run_stack")


def command(name: str, env: dict[str, str], port: int) -> tuple[list[str], dict[str, str]]:
    """The argv and environment `make run` starts the process `name` with."""
    run_stack = _run_stack()
    if name == "gateway":
        component = run_stack.gateway(port, env)
    elif name == "transcripts-web":
        component, _ = run_stack.transcripts_web({**env, "TRANSCRIPTS_WEB_PORT": str(port)})
    else:
        component = run_stack.service(name, env)
    return component.argv, {**env, **component.env}


def production_environment(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CHECKED and not k.endswith("_DATABASE_URL")}
    env.update(CERTTRACK_ENV="production", SECRET_KEY=secrets.token_urlsafe(48), WEB_CONCURRENCY="1",
               PYTHONUNBUFFERED="1", **settings)
    return env


@pytest.mark.slow
@pytest.mark.parametrize("name", PROCESSES)
def test_production_with_guest_credentials_exits_at_start_naming_amqp_uri(name, amqp_uri, tmp_path):
    argv, env = command(name, production_environment(AMQP_URI=amqp_uri), free_port())
    started = time.monotonic()

    result = subprocess.run(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=REFUSED_WITHIN_SECONDS + 30, check=False)

    assert result.returncode != 0, result.stdout + result.stderr
    assert time.monotonic() - started < REFUSED_WITHIN_SECONDS
    assert f"{name}: refusing to start" in result.stderr
    assert "AMQP_URI (amqp://guest:***@127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "guest:guest" not in result.stderr + result.stdout  # the password is masked


def test_production_migration_refuses_a_database_elsewhere_without_tls():
    env = production_environment(IDENTITY_DATABASE_URL="postgresql+psycopg2://identity:pw@db.example:5432/id")

    result = subprocess.run([sys.executable, "-m", "certtrack_shared.migrations", "identity"], cwd=ROOT, env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode == 1
    assert "migrate: refusing to start" in result.stderr and "IDENTITY_DATABASE_URL" in result.stderr
    assert "sslmode" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture
def broker_user(vhost):
    """A broker user of its own, with a random password, on this run's vhost."""
    name, password = f"certtrack-prod-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    url, auth = _api(f"users/{name}")
    requests.put(url, auth=auth, json={"password": password, "tags": ""}, timeout=10).raise_for_status()
    try:
        grant, auth = _api(f"permissions/{quote(vhost.name, safe='')}/{name}")
        requests.put(grant, auth=auth, json={"configure": ".*", "write": ".*", "read": ".*"},
                     timeout=10).raise_for_status()
        broker = urlsplit(BASE_AMQP)
        yield f"amqp://{name}:{password}@{broker.hostname}:{broker.port or 5672}/{quote(vhost.name, safe='')}"
    finally:
        requests.delete(url, auth=auth, timeout=10)


@pytest.mark.slow
def test_production_with_its_own_broker_user_on_loopback_starts(broker_user, run_databases, smtp_server, tmp_path):
    env = production_environment(AMQP_URI=broker_user, SMTP_URL=smtp_server.url,
                                 IDENTITY_DOCUMENT_DIR=str(tmp_path / "documents"))
    for service in SERVICES:
        env[f"{service.upper()}_DATABASE_URL"] = run_databases.url(f"prod_{service}", migrate_service=service)
    ports = {name: free_port() for name in ("gateway", "transcripts-web")}
    processes = {}
    try:
        for name in PROCESSES:
            argv, process_env = command(name, env, ports.get(name, 0))
            processes[name] = subprocess.Popen(
                argv, cwd=ROOT, env=process_env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=open(tmp_path / f"{name}.log", "w"), start_new_session=True)
        deadline = time.monotonic() + STARTED_WITHIN_SECONDS
        with ClusterRpcProxy({"AMQP_URI": broker_user}, timeout=STARTED_WITHIN_SECONDS) as rpc:
            for service in SERVICES:
                assert _health(getattr(rpc, service), deadline) == {"service": service, "database": "ok"}, \
                    (tmp_path / f"{service}.log").read_text()
        for name, port in ports.items():
            assert _answers(f"http://127.0.0.1:{port}/healthz", deadline), (tmp_path / f"{name}.log").read_text()
        for name, process in processes.items():
            assert process.poll() is None, (tmp_path / f"{name}.log").read_text()
    finally:
        for process in processes.values():
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _health(service, deadline: float):
    """Its health() answer, once its RPC queue exists (before, the call is unroutable)."""
    while True:
        try:
            return service.health()
        except UnknownService:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.3)


def _answers(url: str, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.3)
    return False
