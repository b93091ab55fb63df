#!/usr/bin/env python3
"""Run the whole CertTrack stack on this machine: what `make run` starts.

Migrates every service's database, then starts as child processes the SMTP
sink, every service (`nameko run`), the gateway (gunicorn) and the optional
extras listed in EXTRAS once their files exist. Each child's output goes to
var/log/<name>.log and, prefixed with its name, to the console. Once
http://127.0.0.1:$PORT/readyz answers 200 it prints the site URL; Ctrl-C,
SIGTERM or SIGHUP stops every child (SIGTERM, then SIGKILL after a grace
period) and exits 0.

REPLICAS=N (default 1) starts N processes of each service, as N pods would
run: `certs-1`, `certs-2`, ... each supervised and restarted on its own, with
its own log (var/log/certs-2.log) and console prefix. The first process of
each service starts with the stack; the others once the site is up, as pods
scaled up, so that N of them do not slow the start on a small machine. Every
replica consumes from the same queues; the timers' singleton jobs elect one
replica each run (decision 0029). The gateway and the other components stay
one process each.

A child that exits on its own is restarted, before and after readiness, after
1 s, 2 s, 4 s ... at most 30 s (from 1 s again once it stayed up 60 s); the
console names it, its exit code or signal and the last lines of its log, which
keeps every run's lines. A child that exits 5 times in a row within 10 s of
starting keeps failing at start: run_stack says which and why, stops everything
and exits 1. The one-shots (migrate, demo-loader, staff-account) are not
restarted: a failed migration aborts the start with exit 1; a later one-shot's
failure is reported and the site keeps running. The rules are in
deploy/supervision.py.

Before the services start, the administrator's account of AMQP_URI declares
the broker topology and creates each process's own broker user
(`python -m certtrack_shared.broker_identities apply --development`, which
also makes the development vendor and warehouse users, CONTRACTS.md §7):
every child connects as its own user with its role's permissions, never as
the administrator. Their passwords come from BROKER_PASSWORD_<PARTY> or, by
default, from var/broker-passwords.json, generated once per checkout.

Standard library only: it is the thing that starts everything else. Run it
with the project's virtualenv Python (.venv/bin/python), whose bin/ folder
holds the `nameko` and `gunicorn` commands it starts.

In development, unless OIDC_ISSUER names a real provider, it also starts a
local OpenID Connect provider (oidc-provider-mock, where anyone signs in as
any subject) on OIDC_PORT and points the gateway's single sign-on at it.

When the transcripts service runs, its public web app (the verification page
and API, services/transcripts/transcripts/public_web.py) runs too, as its own
gunicorn on 127.0.0.1:TRANSCRIPTS_WEB_PORT; the gateway forwards `/verify/<code>`
and `/api/v1/verify/<code>` to it (TRANSCRIPTS_WEB_URL), so the site still has
one port, as production has one address behind its ingress.

Each child also gets the memory settings of decision 0037 (PROCESS_MEMORY_ENV,
WEB_MEMORY_ENV, PASSWORD_HASHING_ENV below) unless the environment sets them.

Environment: PORT (default 8000), AMQP_URI, SMTP_URL, CERTTRACK_ENV
(default development), <SERVICE>_DATABASE_URL, READY_TIMEOUT (seconds, 90),
LOG_DIR (default var/log), REPLICAS (default 1), METRICS_PORT_BASE (default 9100, `off`
for none: the Prometheus ports, see metrics_port), OIDC_ISSUER, OIDC_PORT (default 9400),
TRANSCRIPTS_WEB_PORT (default 8001), PAYMENT_SANDBOX_URL (unset: start the
sandbox on PAYMENT_SANDBOX_PORT, default 8002), BROKER_PASSWORD_<PARTY>; the restart rules: RESTART_FIRST_DELAY (1),
RESTART_MAX_DELAY (30), RESTART_STABLE_AFTER (60), RESTART_START_GRACE (10),
all seconds, and RESTART_GIVE_UP_AFTER (5 exits).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from supervision import (STOP_GRACE_SECONDS, Component, RestartPolicy, Supervisor, console,
                         describe_exit)

ROOT = Path(__file__).resolve().parent.parent
# LOG_DIR lets a test run keep its logs apart from a developer's `make run`.
LOG_DIR = ROOT / os.environ.get("LOG_DIR", "var/log")
BIN = Path(sys.executable).parent  # the virtualenv's commands: nameko, gunicorn

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_SMTP_URL = "smtp://127.0.0.1:8025"
PG_HOST, PG_PORT = "127.0.0.1", 5432
DEFAULT_OIDC_PORT = 9400
DEFAULT_TRANSCRIPTS_WEB_PORT = 8001
DEFAULT_PAYMENT_SANDBOX_PORT = 8002
# The development provider accepts any client ID and secret; the gateway still
# needs one to present (gateway/settings.py).
DEV_OIDC_CLIENT = {"OIDC_CLIENT_ID": "certtrack", "OIDC_CLIENT_SECRET": "certtrack-development-only"}
MIGRATE_TIMEOUT_SECONDS = 300
# Beyond this many processes of each service the machine's database connections run out
# (each process pools MAX_WORKERS + 2; PostgreSQL allows 100 by default).
MAX_REPLICAS = 8


@dataclass
class Extra:
    """A component a later issue adds as a file; started only once it exists."""

    name: str
    script: str  # path relative to the repository root
    after_ready: bool = False  # start only once /readyz answers (needs the services)
    oneshot: bool = False  # runs to completion; exit 0 is not a failure


# Extend here: the warehouse simulator answers orders like the real warehouse;
# the demo loader loads the catalog and a demo candidate and prints its login.
EXTRAS = [
    Extra("warehouse-simulator", "deploy/warehouse_simulator.py"),
    Extra("demo-loader", "deploy/load_demo.py", after_ready=True, oneshot=True),
    # Development only (the script checks): the staff account admin@certtrack.example.
    Extra("staff-account", "deploy/create_staff.py", after_ready=True, oneshot=True),
]


# --------------------------------------------------------------- environment


def host_port(url: str, default_port: int) -> tuple[str, int]:
    parsed = urllib.parse.urlsplit(url)
    return parsed.hostname or "127.0.0.1", parsed.port or default_port


def is_local(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1")


def port_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            return True
        except OSError:
            return False


def postgres_usable() -> bool:
    """Local PostgreSQL answers and lets `postgres` in without a password.

    The driver check runs in a subprocess of the virtualenv's Python so this
    script itself stays standard-library only.
    """
    if not port_answers(PG_HOST, PG_PORT):
        return False
    probe = (
        "import sys, psycopg2; "
        "psycopg2.connect(host=sys.argv[1], port=int(sys.argv[2]), user='postgres', "
        "dbname='postgres', connect_timeout=3).close()"
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", probe, PG_HOST, str(PG_PORT)],
            check=False,
            capture_output=True,
            timeout=15,
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def choose_databases(services: list[str], env: dict[str, str]) -> None:
    """Use PostgreSQL when it can be had; otherwise SQLite files under var/.

    Only services without an explicit <SERVICE>_DATABASE_URL are affected.
    The relative sqlite:///var/... URLs work because every child runs in the
    repository root.
    """
    unset = [s for s in services if f"{s.upper()}_DATABASE_URL" not in env]
    if not unset:
        return
    if postgres_usable():
        console.say(f"databases: PostgreSQL at {PG_HOST}:{PG_PORT} (certtrack_<service>)")
        return
    console.say(
        f"databases: no usable PostgreSQL at {PG_HOST}:{PG_PORT}: "
        "falling back to SQLite files var/<service>.db"
    )
    for service in unset:
        env[f"{service.upper()}_DATABASE_URL"] = f"sqlite:///var/{service}.db"


def discover_services(only: str | None) -> list[str]:
    """Every services/<name>/ with a nameko config.yml, or the given subset."""
    found = sorted(p.parent.name for p in (ROOT / "services").glob("*/config.yml"))
    if not only:
        return found
    wanted = [s.strip() for s in only.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in found]
    if unknown:
        raise SystemExit(f"run_stack: no services/<name>/config.yml for: {', '.join(unknown)}")
    return wanted


def replica_count(env: dict[str, str]) -> int:
    """REPLICAS: how many processes of each service (1 to MAX_REPLICAS)."""
    raw = env.get("REPLICAS", "").strip() or "1"
    try:
        count = int(raw)
    except ValueError:
        raise ValueError(f"REPLICAS must be a whole number from 1 to {MAX_REPLICAS}, not {raw!r}") from None
    if not 1 <= count <= MAX_REPLICAS:
        raise ValueError(f"REPLICAS must be from 1 to {MAX_REPLICAS}, not {count}")
    return count


# Memory (docs/decisions/0037-memory-diet.md; deploy/Dockerfile and deploy/k8s set the same
# in containers); a variable the stack's environment sets wins. Every process: eventlet
# imports `distutils.version`, which setuptools' shim answers by importing setuptools and
# pkg_resources, 18 MiB a process (6 for `nameko run`, which imports pkg_resources itself);
# Python 3.11's own distutils costs nothing.
PROCESS_MEMORY_ENV = {"SETUPTOOLS_USE_DISTUTILS": "stdlib"}
# The gunicorn apps import eventlet only through nameko and never run its hub, so its
# green DNS resolver (dnspython and cryptography, 20 MiB a process) would serve nothing.
WEB_MEMORY_ENV = {"EVENTLET_NO_GREENDNS": "yes"}
# Identity hashes passwords in eventlet's OS thread pool, 19 MiB of argon2id memory each
# (decision 0020), and each thread's malloc arena keeps its block: 20 threads held 400 MiB
# after a burst of logins. Hashing is CPU-bound, so threads beyond the cores only add memory.
PASSWORD_HASHING_ENV = {"EVENTLET_THREADPOOL_SIZE": "2"}


def base_environment(port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("CERTTRACK_ENV", "development")
    env.setdefault("AMQP_URI", DEFAULT_AMQP_URI)
    env.setdefault("SMTP_URL", DEFAULT_SMTP_URL)
    env.update(unless_set(PROCESS_MEMORY_ENV, env))
    env["PORT"] = str(port)
    env["PYTHONUNBUFFERED"] = "1"  # logs appear as they happen, not at exit
    return env


def unless_set(defaults: dict[str, str], env: dict[str, str]) -> dict[str, str]:
    """The defaults the environment does not set already (a developer's setting wins)."""
    return {name: value for name, value in defaults.items() if name not in env}


def with_pythonpath(env: dict[str, str], folder: str) -> dict[str, str]:
    existing = env.get("PYTHONPATH")
    return {"PYTHONPATH": folder + (os.pathsep + existing if existing else "")}


# ---------------------------------------------------------------- components


def smtp_sink(env: dict[str, str]) -> Component | None:
    """A local sink that accepts and discards mail (the services keep a copy
    in var/devmail in development mode); none when SMTP_URL is elsewhere."""
    host, port = host_port(env["SMTP_URL"], 25)
    if not is_local(host):
        return None
    argv = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"{host}:{port}",
            "-c", "aiosmtpd.handlers.Sink"]
    return Component("smtp", argv)


def service(name: str, env: dict[str, str]) -> Component:
    argv = [str(BIN / "nameko"), "run", "--config", f"services/{name}/config.yml",
            f"{name}.service"]
    own = unless_set(PASSWORD_HASHING_ENV, env) if name == "identity" else {}
    return Component(name, argv, {**with_pythonpath(env, f"services/{name}"), **own})


def replica_name(name: str, replica: int, replicas: int) -> str:
    """`certs` when it runs alone (its log is var/log/certs.log, as always), else `certs-2`."""
    return name if replicas == 1 else f"{name}-{replica}"


def replicated(component: Component, replicas: int, metrics_base: int | None = None) -> list[Component]:
    """`replicas` processes of one component, each its own child: supervised, restarted and
    logged (console prefix, var/log/<name>-<n>.log) on its own, as N pods would be."""
    return [Component(replica_name(component.name, replica, replicas), list(component.argv),
                      replica_env(component, replica, metrics_base), component.oneshot)
            for replica in range(1, replicas + 1)]


def scale(components: list[Component], replicas: int,
          metrics_base: int | None = None) -> tuple[list[Component], list[Component]]:
    """The processes of each component: (the first of each, started with the stack; the
    others, started once the site is up). Started all at once, N processes of every service
    would each take N times as long to import and connect on a small machine."""
    first, later = [], []
    for component in components:
        one, *others = replicated(component, replicas, metrics_base)
        first.append(one)
        later += others
    return first, later


def replica_env(component: Component, replica: int, metrics_base: int | None = None) -> dict[str, str]:
    """The environment of process number `replica` (from 1) on top of the stack's: what all
    of the component's processes share (its broker user, its PYTHONPATH). The one place to
    give each process a setting of its own, such as a port."""
    env = dict(component.env)
    port = metrics_port(metrics_base, component.name, replica)
    if port is not None:
        env["METRICS_PORT"] = str(port)
    return env


# Where each process serves Prometheus metrics (docs/decisions/0030-metrics.md,
# deploy/prometheus/prometheus-local.yml): base + the component's offset + 10 per
# replica after the first. The transcripts web app counts nothing yet.
METRICS_OFFSETS = {"gateway": 0, "identity": 1, "exams": 2, "certs": 3, "fulfillment": 4, "transcripts": 5}
DEFAULT_METRICS_PORT_BASE = 9100


def metrics_port_base(env: dict[str, str]) -> int | None:
    """METRICS_PORT_BASE: the first metrics port, or None for `off` (test stacks side by side)."""
    raw = env.get("METRICS_PORT_BASE", "").strip() or str(DEFAULT_METRICS_PORT_BASE)
    if raw.lower() == "off":
        return None
    try:
        base = int(raw)
    except ValueError:
        raise ValueError(f"METRICS_PORT_BASE must be a port number or off, not {raw!r}") from None
    if not 1024 <= base <= 65535 - 10 * MAX_REPLICAS:
        raise ValueError(f"METRICS_PORT_BASE must be from 1024 to {65535 - 10 * MAX_REPLICAS}, not {base}")
    return base


def metrics_port(base: int | None, name: str, replica: int) -> int | None:
    if base is None or name not in METRICS_OFFSETS:
        return None
    return base + METRICS_OFFSETS[name] + 10 * (replica - 1)


def gateway(port: int, env: dict[str, str]) -> Component:
    # --bind on the command line wins over gunicorn.conf.py: the site listens
    # on 127.0.0.1:$PORT whatever the config file says (CONTRACTS.md §6).
    # No control socket: its default path (~/.gunicorn/gunicorn.ctl) would be
    # shared with any other gunicorn on the machine, e.g. a test's.
    argv = [str(BIN / "gunicorn"), "-c", "gateway/gunicorn.conf.py",
            "--bind", f"127.0.0.1:{port}", "--no-control-socket", "gateway.app:create_app()"]
    return Component("gateway", argv, {**with_pythonpath(env, "gateway"), **unless_set(WEB_MEMORY_ENV, env)})


def transcripts_web(env: dict[str, str]) -> tuple[Component, str]:
    """The transcripts service's public web app, and the URL the gateway forwards to.

    Behind exactly one proxy, the gateway (TRUSTED_PROXY_COUNT=1): the client
    address it rate-limits is the one the gateway saw.
    """
    port = int(env.get("TRANSCRIPTS_WEB_PORT") or DEFAULT_TRANSCRIPTS_WEB_PORT)
    argv = [str(BIN / "gunicorn"), "-c", "gateway/gunicorn.conf.py",
            "--bind", f"127.0.0.1:{port}", "--no-control-socket", "transcripts.public_web:create_app()"]
    component = Component("transcripts-web", argv,
                          {**with_pythonpath(env, "services/transcripts"), "TRUSTED_PROXY_COUNT": "1",
                           **unless_set(WEB_MEMORY_ENV, env)})
    return component, f"http://127.0.0.1:{port}"


def oidc_provider(env: dict[str, str]) -> tuple[Component, str] | None:
    """Development only, and only when no OIDC_ISSUER is configured: a local
    OpenID Connect provider for single sign-on, and its issuer URL."""
    if env["CERTTRACK_ENV"] != "development" or env.get("OIDC_ISSUER"):
        return None
    if importlib.util.find_spec("oidc_provider_mock") is None:  # a dev requirement
        return None
    port = int(env.get("OIDC_PORT") or DEFAULT_OIDC_PORT)
    argv = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    return Component("oidc", argv), f"http://127.0.0.1:{port}"


def payment_sandbox(env: dict[str, str]) -> tuple[Component, str] | None:
    """The local payment sandbox (deploy/payment_sandbox, decision 0017), a
    processor's test mode the checkout page hands cards to, and its URL;
    none when PAYMENT_SANDBOX_URL names one already running."""
    if env.get("PAYMENT_SANDBOX_URL"):
        return None
    port = int(env.get("PAYMENT_SANDBOX_PORT") or DEFAULT_PAYMENT_SANDBOX_PORT)
    component = Component("payment-sandbox", [sys.executable, "-m", "payment_sandbox"],
                          {**with_pythonpath(env, "deploy"), "PAYMENT_SANDBOX_PORT": str(port)})
    return component, f"http://127.0.0.1:{port}"


def extras(after_ready: bool) -> list[Component]:
    return [
        Component(e.name, [sys.executable, e.script], oneshot=e.oneshot)
        for e in EXTRAS
        if e.after_ready == after_ready and (ROOT / e.script).is_file()
    ]


# -------------------------------------------------------------------- phases


def migrate(services: list[str], env: dict[str, str], stack: Supervisor) -> bool:
    if not services:
        return True
    # Each service's Alembic env.py imports its own package (services/<name>/<name>).
    paths = os.pathsep.join(f"services/{name}" for name in services)
    return run_oneshot(
        Component("migrate", [sys.executable, "-m", "certtrack_shared.migrations", *services],
                  with_pythonpath(env, paths), oneshot=True),
        env, stack, "migrations")


def apply_broker_identities(env: dict[str, str], passwords: dict[str, str],
                            stack: Supervisor) -> bool:
    """The topology and every process's broker user, made by the administrator."""
    overrides = {"BROKER_ADMIN_URI": env["AMQP_URI"],
                 **{f"BROKER_PASSWORD_{party.upper()}": pw for party, pw in passwords.items()}}
    argv = [sys.executable, "-m", "certtrack_shared.broker_identities", "apply",
            "--prefix", user_prefix(env["AMQP_URI"])]
    if env["CERTTRACK_ENV"] in ("development", "test"):
        argv.append("--development")
    return run_oneshot(Component("broker-users", argv, overrides, oneshot=True), env, stack,
                       "the broker users")


def run_oneshot(component: Component, env: dict[str, str], stack: Supervisor, what: str) -> bool:
    """Run a one-shot to its end; False (said why) when it failed or the stop came."""
    child = stack.start(component, env)
    deadline = time.monotonic() + MIGRATE_TIMEOUT_SECONDS
    while child.exit_code() is None:
        if stack.stop_requested.is_set() or time.monotonic() > deadline:
            child.signal(signal.SIGTERM)
            try:
                child.proc.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                child.signal(signal.SIGKILL)
            break
        time.sleep(0.2)
    code = child.proc.wait()
    child.close()
    stack.children.remove(child)
    if stack.stop_requested.is_set():
        return False
    if code != 0:
        console.alarm(f"{what} failed ({describe_exit(code)}): not starting. "
                      f"Last lines of {child.log_path}:", child.tail())
        return False
    return True


# ------------------------------------------------------------ broker users

PARTIES = ("identity", "exams", "certs", "fulfillment", "transcripts", "gateway")
# CONTRACTS.md §7: development and tests only.
DEV_VENDOR = ("vendor-dev", "vendor-dev")
DEV_WAREHOUSE = ("warehouse-dev", "warehouse-dev")
PASSWORD_FILE = ROOT / "var" / "broker-passwords.json"


def broker_passwords(env: dict[str, str]) -> dict[str, str]:
    """Each party's broker password: BROKER_PASSWORD_<PARTY>, else the one
    var/broker-passwords.json keeps (made on first use, readable by its
    owner only), so every run of this checkout agrees with the broker."""
    import secrets

    stored: dict[str, str] = {}
    if PASSWORD_FILE.is_file():
        stored = json.loads(PASSWORD_FILE.read_text())
    passwords = {party: env.get(f"BROKER_PASSWORD_{party.upper()}") or stored.get(party)
                 or secrets.token_urlsafe(24) for party in PARTIES}
    if passwords != stored:
        PASSWORD_FILE.parent.mkdir(parents=True, exist_ok=True)
        PASSWORD_FILE.touch(mode=0o600)
        PASSWORD_FILE.write_text(json.dumps(passwords, indent=2))
    return passwords


def amqp_uri_as(admin_uri: str, user: str, password: str) -> str:
    """The administrator's AMQP URI (host, port, vhost) with another user's credentials."""
    parts = urllib.parse.urlsplit(admin_uri)
    netloc = f"{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(password, safe='')}@" \
             f"{parts.hostname or '127.0.0.1'}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def user_prefix(admin_uri: str) -> str:
    """`certtrack-` on the default vhost; `certtrack-<vhost>.` on another, so that
    stacks on other vhosts of one broker (the test runs') never reset the
    passwords of each other's users, which are the broker's, not the vhost's."""
    vhost = urllib.parse.unquote(urllib.parse.urlsplit(admin_uri).path[1:])
    return "certtrack-" if vhost in ("", "/") else f"certtrack-{vhost}."


def broker_env(name: str, admin_uri: str, passwords: dict[str, str]) -> dict[str, str]:
    """AMQP_URI (and VENDOR_AMQP_URI) for the component `name` (a service's replicas share
    the service's name here): its own user."""
    prefix = user_prefix(admin_uri)
    gateway = {"GATEWAY_BROKER_USER": f"{prefix}gateway"}  # whose vendor messages exams checks by key
    gateway_uri = amqp_uri_as(admin_uri, f"{prefix}gateway", passwords["gateway"])
    if name in passwords:
        return {"AMQP_URI": amqp_uri_as(admin_uri, f"{prefix}{name}", passwords[name]), **gateway}
    if name == "transcripts-web":  # reads the transcripts database only; the service's user
        return {"AMQP_URI": amqp_uri_as(admin_uri, f"{prefix}transcripts", passwords["transcripts"])}
    if name == "warehouse-simulator":
        return {"AMQP_URI": amqp_uri_as(admin_uri, *DEV_WAREHOUSE)}
    if name == "demo-loader":  # RPCs as the gateway would call them; results as the vendor
        return {"AMQP_URI": gateway_uri, "VENDOR_AMQP_URI": amqp_uri_as(admin_uri, *DEV_VENDOR)}
    return {"AMQP_URI": gateway_uri}  # staff-account: an RPC, as the gateway


def readyz(port: int) -> tuple[int | None, str]:
    """(HTTP status or None when nothing answers, body)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return None, ""


def failing_names(body: str, names: set[str]) -> set[str]:
    """Component names that a /readyz body reports as not ok (best effort:
    any key naming a component whose value is not ok-looking)."""
    try:
        data = json.loads(body)
    except ValueError:
        return {n for n in names if n in body}
    found: set[str] = set()

    def ok(value: object) -> bool:
        if isinstance(value, dict):
            return all(ok(v) for k, v in value.items() if k in ("status", "ok", "database"))
        return value is True or str(value).lower() in ("ok", "up", "true")

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in names and not ok(value):
                    found.add(key)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return found


def wait_until_ready(port: int, stack: Supervisor, timeout: float) -> bool:
    """Supervise the children until /readyz answers 200; False when the stop
    was requested (by a signal, or a child that keeps failing) or on timeout."""
    deadline = time.monotonic() + timeout
    next_probe = time.monotonic()
    status, body = None, ""
    while time.monotonic() < deadline:
        stack.supervise()
        if stack.stop_requested.is_set():
            return False
        if time.monotonic() >= next_probe:
            status, body = readyz(port)
            if status == 200:
                return True
            next_probe = time.monotonic() + 0.5
        stack.stop_requested.wait(0.2)
    # Timed out: say which component is to blame, with its log.
    console.say(f"not ready after {timeout:.0f}s")
    by_name = {c.name: c for c in stack.children}
    if status is None:
        blamed = {"gateway"}
        console.say(f"nothing answers on http://127.0.0.1:{port}/readyz")
    else:
        console.say(f"/readyz answered {status}: {body.strip()[:500]}")
        blamed = failing_names(body, set(by_name)) or {"gateway"}
    blamed |= {c.name for c in stack.children if c.restarts or c.restart_at is not None}
    for name in sorted(blamed):
        if name in by_name:
            child = by_name[name]
            restarted = f" (restarts: {child.restarts})" if child.restarts else ""
            console.say(f"component not ready: {name}{restarted}; last lines of {child.log_path}:")
            print(child.tail(), flush=True)
    return False


def serve(stack: Supervisor, env: dict[str, str], port: int, ready_timeout: float,
          components: list[Component], after_ready: list[Component],
          announce: Callable[[], None]) -> int:
    """Start the components, supervise them until /readyz answers, announce the
    site, start the after_ready ones and supervise until the stop; stop
    everything. The exit code: 0 when stopped by a signal, else 1."""
    try:
        for component in components:
            stack.start(component, env)
        if not wait_until_ready(port, stack, ready_timeout):
            return 1 if stack.gave_up or not stack.stop_requested.is_set() else 0
        announce()
        for component in after_ready:
            stack.start(component, env)
        while not stack.stop_requested.wait(0.2):
            stack.supervise()
        return 1 if stack.gave_up else 0
    finally:
        stack.stop_all()
        if stack.gave_up:
            console.alarm(f"stopped because {stack.gave_up}")


def metrics_ports(base: int | None, names: list[str], replicas: int) -> dict[int, str]:
    """Every metrics port the stack will listen on → whose it is."""
    ports = {}
    for name in names:
        for replica in range(1, (1 if name == "gateway" else replicas) + 1):
            port = metrics_port(base, name, replica)
            if port is not None:
                ports[port] = replica_name(name, replica, 1 if name == "gateway" else replicas)
    return ports


def preflight(port: int, env: dict[str, str], sink: Component | None,
              oidc_issuer: str | None = None, web_url: str | None = None,
              sandbox_url: str | None = None, metrics: dict[int, str] | None = None) -> str | None:
    """A reason the stack cannot start, or None."""
    if not (BIN / "nameko").exists() or not (BIN / "gunicorn").exists():
        return f"no nameko/gunicorn next to {sys.executable}: run it with .venv/bin/python (make run)"
    if not (ROOT / "gateway" / "gunicorn.conf.py").is_file():
        return "gateway/gunicorn.conf.py is missing"
    amqp_host, amqp_port = host_port(env["AMQP_URI"], 5672)
    if not port_answers(amqp_host, amqp_port):
        return f"RabbitMQ does not answer at {amqp_host}:{amqp_port} (AMQP_URI); try `make infra`"
    if not port_free("127.0.0.1", port):
        return f"port {port} is taken (another `make run`?); set PORT to use another"
    if sink is not None:
        host, smtp_port = host_port(env["SMTP_URL"], 25)
        if not port_free(host, smtp_port):
            return f"SMTP port {smtp_port} is taken; set SMTP_URL to another local port"
    if web_url is not None:
        host, web_port = host_port(web_url, 80)
        if not port_free(host, web_port):
            return (f"port {web_port} (the transcripts web app) is taken; "
                    "set TRANSCRIPTS_WEB_PORT to use another")
    if sandbox_url is not None:
        host, sandbox_port = host_port(sandbox_url, 80)
        if not port_free(host, sandbox_port):
            return (f"port {sandbox_port} (the payment sandbox) is taken; "
                    "set PAYMENT_SANDBOX_PORT to use another")
    if oidc_issuer is not None:
        host, oidc_port = host_port(oidc_issuer, 80)
        if not port_free(host, oidc_port):
            return f"OIDC port {oidc_port} is taken; set OIDC_PORT to another port (or OIDC_ISSUER to a provider)"
    for metrics_port_number, owner in (metrics or {}).items():
        # A service whose metrics port is taken refuses to start: say so before starting anything.
        if not port_free("127.0.0.1", metrics_port_number):
            return (f"port {metrics_port_number} ({owner}'s metrics) is taken; set METRICS_PORT_BASE "
                    "to another first port, or to off for no metrics")
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--migrate-only", action="store_true",
                        help="create and migrate the databases, then exit")
    parser.add_argument("--skip-migrate", action="store_true",
                        help="start without running migrations first")
    parser.add_argument("--services", default=os.environ.get("CERTTRACK_SERVICES"),
                        help="comma-separated subset of services (default: all under services/)")
    args = parser.parse_args()

    port = int(os.environ.get("PORT", "8000"))
    ready_timeout = float(os.environ.get("READY_TIMEOUT", "90"))
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    os.chdir(ROOT)

    services = discover_services(args.services)
    env = base_environment(port)
    try:
        replicas = replica_count(env)
        metrics_base = metrics_port_base(env)
        policy = RestartPolicy.from_env(env)
    except ValueError as exc:
        console.say(f"cannot start: {exc}")
        return 1
    console.width = max([len(replica_name(n, replicas, replicas)) for n in services]
                        + [len(n) for n in ["run_stack", "migrate", "broker-users", "gateway", "transcripts-web"]
                           + [e.name for e in EXTRAS]])
    if not services:
        console.say("no services/<name>/config.yml found yet")
    choose_databases(services, env)
    stack = Supervisor(LOG_DIR, ROOT, policy)
    stack.stop_on_signals()

    if args.migrate_only:
        return 0 if migrate(services, env, stack) or stack.stop_requested.is_set() else 1

    sink = smtp_sink(env)
    oidc = oidc_provider(env)
    web = transcripts_web(env) if "transcripts" in services else None
    sandbox = payment_sandbox(env)
    problem = preflight(port, env, sink, oidc[1] if oidc else None, web[1] if web else None,
                        sandbox[1] if sandbox else None,
                        metrics_ports(metrics_base, ["gateway", *services], replicas))
    if problem:
        console.say(f"cannot start: {problem}")
        return 1
    console.say(f"CERTTRACK_ENV={env['CERTTRACK_ENV']}, logs in {LOG_DIR}/"
                + (f", {replicas} processes of each service" if replicas > 1 else ""))
    if sandbox:  # the gateway's checkout page and fulfillment's processor use it
        env["PAYMENT_SANDBOX_URL"] = sandbox[1]
    if not args.skip_migrate and not migrate(services, env, stack):
        return 0 if stack.stop_requested.is_set() else 1
    passwords = broker_passwords(env)
    if not apply_broker_identities(env, passwords, stack):
        return 0 if stack.stop_requested.is_set() else 1

    site_gateway = gateway(port, env)
    if oidc:
        site_gateway.env.update(OIDC_ISSUER=oidc[1], **{k: env.get(k) or v for k, v in DEV_OIDC_CLIENT.items()})
    if web:
        site_gateway.env["TRANSCRIPTS_WEB_URL"] = web[1]
    ones = [service(name, env) for name in services]
    for one in ones:
        one.env.update(broker_env(one.name, env["AMQP_URI"], passwords))  # shared by its replicas
    processes, scaled_up = scale(ones, replicas, metrics_base)
    site_gateway.env = replica_env(site_gateway, 1, metrics_base)
    before_oidc, after_oidc = extras(after_ready=False), ([web[0]] if web else []) + [site_gateway]
    after_ready = extras(after_ready=True)
    for component in before_oidc + after_oidc + after_ready:
        component.env.update(broker_env(component.name, env["AMQP_URI"], passwords))
    after_ready = scaled_up + after_ready
    components = ([sink] if sink else []) + ([sandbox[0]] if sandbox else []) + processes \
        + before_oidc + ([oidc[0]] if oidc else []) + after_oidc

    def announce() -> None:
        site = f"http://127.0.0.1:{port}/"
        console.say("=" * 60)
        console.say(f"CertTrack is up: {site}")
        if env["CERTTRACK_ENV"] == "development":
            console.say(f"development mailbox: {site}dev/mail")
        if oidc:
            console.say(f"single sign-on: development OIDC provider at {oidc[1]} (sign in as any subject)")
        if sandbox:
            console.say(f"payment sandbox: {sandbox[1]} (test cards only, e.g. 4242 4242 4242 4242)")
        console.say("Ctrl-C stops everything")
        console.say("=" * 60)

    return serve(stack, env, port, ready_timeout, components, after_ready, announce)


if __name__ == "__main__":
    sys.exit(main())
