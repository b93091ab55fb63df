#!/usr/bin/env python3
"""Verification benchmark (`make bench`): prints figures, asserts nothing.

Transcript verifications per second on the production path — the
transcripts service's public web app (transcripts/public_web.py:
`GET /api/v1/verify/<code>?access_code=…` → PostgreSQL, view counted; no
broker, no gateway) — against Flask's hello-world app served the same way:
gunicorn with the gateway's settings file (gateway/gunicorn.conf.py: gthread,
WEB_CONCURRENCY workers × 4 threads, the same access logger) for both, on
the same machine, driven by the same client (keep-alive connections from
--clients threads in --processes processes). Target: verification ≥ 0.5 ×
hello-world.

It also measures the single-port path (`make run`, the e2e stack, Compose):
the gateway passing the request on to the web app (`TRANSCRIPTS_WEB_URL`;
a verification link takes the pass-through in front of Flask, decision
0036). Issue 18 (P3) sets that path the same target, ≥ 0.5 × hello-world.

The transcripts Nameko service runs (`nameko run`, private vhost and
database) only to create the transcript; the projection is seeded with a
candidate holding three certifications and two exams, and the transcript
shows all of it.
"""
from __future__ import annotations

import argparse
import http.client
import logging
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import requests
import yaml
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
# The test harness, and the transcripts service (its migrations import its models).
sys.path[:0] = [str(ROOT), str(ROOT / "services/transcripts")]

from tests.harness.broker import Vhost  # noqa: E402
from tests.harness.databases import RunDatabases  # noqa: E402
from tests.harness.smtp import free_port  # noqa: E402

HELLO_APP = '''
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
'''
CANDIDATE = "CSCO19999990"


def start_transcripts(amqp_uri: str, db_url: str, workdir: Path) -> subprocess.Popen:
    config = {"AMQP_URI": amqp_uri, "DATABASE_URL": db_url, "SMTP_URL": "smtp://127.0.0.1:1",
              "max_workers": int(os.environ.get("MAX_WORKERS", "10")), "OUTBOX_POLL_SECONDS": 1.0,
              "LOGGING": {"version": 1, "root": {"level": "WARNING"}}}
    path = workdir / "transcripts-bench.yml"
    path.write_text(yaml.safe_dump(config))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT / "services/transcripts"), str(ROOT / "lib"), os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen([str(Path(sys.executable).with_name("nameko")), "run", "--config", str(path),
                             "transcripts.service"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_gunicorn(app: str, port: int, env_extra: dict, pythonpath: str) -> subprocess.Popen:
    """gunicorn with the gateway's own settings file; only the app differs."""
    env = dict(os.environ, PORT=str(port), BIND="127.0.0.1", **env_extra)
    env["PYTHONPATH"] = os.pathsep.join([pythonpath, str(ROOT / "gateway"), env.get("PYTHONPATH", "")])
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", str(ROOT / "gateway/gunicorn.conf.py"), app],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except requests.RequestException:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit(f"gunicorn ({app}) did not start")


def seed(db_url: str, amqp_uri: str) -> tuple[str, str]:
    """The projection, then a transcript created through the service itself."""
    engine = create_engine(db_url)
    now = datetime.now(timezone.utc)
    today = date.today()
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO candidates VALUES (:c, 'Ada', 'Lovelace', 'ada@example.com', :t)"),
                           {"c": CANDIDATE, "t": now})
        for cert_id, name in (("ccna", "CCNA"), ("devnet_associate", "DevNet Associate"),
                              ("ccnp_enterprise", "CCNP Enterprise")):
            connection.execute(text(
                "INSERT INTO certifications VALUES (:c, :i, :n, 'cisco', 'active', :s, :a, :e, 1)"),
                {"c": CANDIDATE, "i": cert_id, "n": name, "s": today - timedelta(days=60),
                 "a": today - timedelta(days=30), "e": today + timedelta(days=1000)})
        for sitting_id, exam in ((1, "200-301"), (2, "200-901")):
            connection.execute(text(
                "INSERT INTO sittings VALUES (:i, :c, :x, 'Exam', :t, 'pass', false, :t)"),
                {"i": sitting_id, "c": CANDIDATE, "x": exam, "t": now})
    engine.dispose()
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
        deadline = time.monotonic() + 60
        while True:
            try:
                created = rpc.transcripts.create_transcript(candidate_id=CANDIDATE, transcript={
                    "description": "bench", "valid_through": (today + timedelta(days=30)).isoformat(),
                    "display": {"certifications": "all_active", "include_expired": True,
                                "include_exams": True, "show_email": True}})
                break
            except Exception:  # the service is still starting
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    return created["transcript"]["code"], created["access_code"]


def _client(port: int, path: str, seconds: float, threads: int, queue) -> None:
    import threading

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def run():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, failed = [], 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put((latencies, errors[0]))


def measure(port: int, path: str, seconds: float, processes: int, threads: int) -> dict:
    _one_shot(port, path, 50)  # warm up: connections, pools, caches
    queue = multiprocessing.Queue()
    started = time.monotonic()
    clients = [multiprocessing.Process(target=_client, args=(port, path, seconds, threads, queue))
               for _ in range(processes)]
    for client in clients:
        client.start()
    results = [queue.get() for _ in clients]
    for client in clients:
        client.join()
    elapsed = time.monotonic() - started
    latencies = [latency for found, _ in results for latency in found]
    errors = sum(failed for _, failed in results)
    return {"latencies": latencies, "elapsed": elapsed, "errors": errors}


def combined(rounds: list[dict]) -> dict:
    latencies = sorted(latency for measured in rounds for latency in measured["latencies"])
    elapsed = sum(measured["elapsed"] for measured in rounds)
    return {"rate": len(latencies) / elapsed, "p50": statistics.median(latencies) * 1000,
            "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000, "requests": len(latencies),
            "errors": sum(measured["errors"] for measured in rounds)}


def _one_shot(port: int, path: str, count: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(count):
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path.split('?')[0]} answered {response.status}")
    connection.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement (default 10)")
    parser.add_argument("--processes", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--clients", type=int, default=4, help="keep-alive connections per process (default 4)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds the --seconds are split into (default 3)")
    args = parser.parse_args(argv)
    # amqp complains about late frames while the seeding proxy closes; expected, and it hides the figures.
    logging.getLogger("amqp").setLevel(logging.ERROR)

    workdir = Path(tempfile.mkdtemp())
    (workdir / "bench_hello.py").write_text(HELLO_APP)
    vhost = Vhost(f"certtrack-bench-{uuid.uuid4().hex[:6]}").create()
    databases = RunDatabases()
    processes = []
    try:
        from kombu import Connection

        from certtrack_shared import topology
        from certtrack_shared.migrations import upgrade

        with Connection(vhost.amqp_uri) as connection:
            topology.declare(connection)
        db_url = databases.url("transcripts_bench")
        upgrade("transcripts", db_url)
        processes.append(start_transcripts(vhost.amqp_uri, db_url, workdir))
        code, access_code = seed(db_url, vhost.amqp_uri)

        web_port, gateway_port, hello_port = free_port(), free_port(), free_port()
        processes.append(start_gunicorn("transcripts.public_web:create_app()", web_port, {
            "CERTTRACK_ENV": "test", "TRANSCRIPTS_DATABASE_URL": db_url},
            os.pathsep.join([str(ROOT / "services/transcripts"), str(ROOT / "lib")])))
        processes.append(start_gunicorn("gateway.app:create_app()", gateway_port, {
            "CERTTRACK_ENV": "test", "AMQP_URI": vhost.amqp_uri, "SECRET_KEY": "bench-" + "x" * 40,
            "SITE_URL": f"http://127.0.0.1:{gateway_port}",
            "TRANSCRIPTS_WEB_URL": f"http://127.0.0.1:{web_port}"}, str(ROOT / "gateway")))
        processes.append(start_gunicorn("bench_hello:app", hello_port, {}, str(workdir)))

        verify_path = f"/api/v1/verify/{code}?access_code={access_code}"
        targets = {"hello": (hello_port, "/"), "verification": (web_port, verify_path),
                   "forwarded": (gateway_port, verify_path)}
        # Interleaved rounds: the machine's load drifts (other work runs beside it), and a
        # drift between two back-to-back measurements would skew their ratio.
        rounds: dict[str, list[dict]] = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, (port, path) in targets.items():
                rounds[name].append(measure(port, path, args.seconds / args.rounds, args.processes, args.clients))
        hello, verification, forwarded = (combined(rounds[name]) for name in targets)
        engine = create_engine(db_url)
        with engine.connect() as connection:
            views = connection.execute(text("SELECT count(*) FROM transcript_views")).scalar_one()
        engine.dispose()
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        databases.drop_all()
        vhost.delete()

    concurrency = args.processes * args.clients
    print(f"Transcript verification vs Flask hello-world, gunicorn as gateway/gunicorn.conf.py, "
          f"{concurrency} keep-alive clients, {args.seconds:.0f} s each in {args.rounds} interleaved rounds")
    print(f"  {'':<58}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for label, figures in (("Flask hello-world (GET /)", hello),
                           ("verification, transcripts web app (production path)", verification),
                           ("verification, gateway forwarding to it (make run path)", forwarded)):
        print(f"  {label:<58}{figures['rate']:>9.0f}{figures['p50']:>9.2f}{figures['p99']:>9.2f}"
              f"{figures['errors']:>8}")
    print(f"  ratio: {verification['rate'] / hello['rate']:.2f} (target >= 0.5); "
          f"forwarded path: {forwarded['rate'] / hello['rate']:.2f} (target >= 0.5); "
          f"views counted: {views} (warm-ups included)")

if __name__ == "__main__":
    main()
