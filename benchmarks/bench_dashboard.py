#!/usr/bin/env python3
"""Candidate dashboard benchmark (`make bench BENCH=dashboard`): prints figures, asserts nothing.

A logged-in candidate's certifications, as the site (`GET /certifications`,
the page, with the session cookie) and the API (`GET /api/v1/me/certifications`,
with a bearer token) serve them on the `make run` path: the whole stack
(deploy/run_stack.py, through the end-to-end suite's Stack on a private vhost
and databases, one process per service), the gateway under gunicorn with its
own settings. Against Flask's hello-world served by gunicorn with the same
settings file, in the same run. Load: wrk, keep-alive connections, 16 and
then 50 of them; figures are requests/s and latency percentiles.

The candidate holds CCNA and DevNet Associate (a vendor reported the exams)
and sees the program's other certifications in progress.

Targets (issue 18, P2): ≥ 0.1 × hello-world's requests/s; p99 < 100 ms at 50
connections.
"""
from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_verification import HELLO_APP, start_gunicorn  # noqa: E402
from certtrack_shared.config import SERVICES  # noqa: E402
from tests.drills.candidate_record import bearer, certified_candidate  # noqa: E402
from tests.e2e.stack import Stack  # noqa: E402
from tests.e2e.test_transcripts import PASSWORD  # noqa: E402
from tests.harness.broker import Vhost  # noqa: E402
from tests.harness.databases import RunDatabases  # noqa: E402
from tests.harness.smtp import free_port  # noqa: E402
from tests.security.conftest import csrf_token  # noqa: E402

LATENCY = re.compile(r"^\s+(50|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, connections: int, seconds: int, headers: dict[str, str]) -> dict:
    """wrk's requests/s and latency percentiles (ms), and any non-2xx/3xx answers."""
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    output = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])}
    figures.update({f"p{p}": float(v) * UNITS[u] for p, v, u in LATENCY.findall(output)})
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    figures["errors"] = int(bad[1]) if bad else 0
    return figures


def logged_in_cookie(site: str, login: str) -> str:
    session = requests.Session()
    page = session.get(f"{site}/login", timeout=10).text
    answer = session.post(f"{site}/login", timeout=10, allow_redirects=False,
                          data={"login": login, "password": PASSWORD, "csrf_token": csrf_token(page)})
    assert answer.status_code in (302, 303), answer.status_code
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--history", type=int, default=0, metavar="N",
                        help="first load N candidates' history (benchmarks/history_loader.py)")
    options = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    vhost = Vhost().create()
    databases = RunDatabases()
    urls = {service: databases.url(f"dash_{service}") for service in SERVICES}
    processes = []
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
        stack = Stack(vhost.amqp_uri, urls, Path(folder))
        stack.env["REPLICAS"] = "1"
        try:
            if options.history:
                from history_loader import migrate_and_load

                migrate_and_load(urls, options.history)
            stack.start()
            email = f"dashboard.{uuid.uuid4().hex[:10]}@example.com"
            candidate_id = certified_candidate(stack, vhost.amqp_uri, email)
            cookie = {"Cookie": logged_in_cookie(stack.url, candidate_id)}
            token = bearer(stack.url, email)
            page = requests.get(f"{stack.url}/certifications", headers=cookie, timeout=30)
            assert page.status_code == 200 and "CCNA" in page.text, page.status_code

            (Path(folder) / "bench_hello.py").write_text(HELLO_APP)
            hello_port = free_port()
            processes.append(start_gunicorn("bench_hello:app", hello_port, {}, folder))

            targets = {
                "Flask hello-world (GET /)": (f"http://127.0.0.1:{hello_port}/", {}),
                "GET /certifications (page, session cookie)": (f"{stack.url}/certifications", cookie),
                "GET /api/v1/me/certifications (bearer)": (f"{stack.url}/api/v1/me/certifications", token),
            }
            results = {}
            for connections in (16, 50):
                for label, (url, headers) in targets.items():
                    wrk(url, connections, 2, headers)  # warm: pools, caches, keep-alive
                    results[label, connections] = wrk(url, connections, options.seconds, headers)
            hello = {c: results["Flask hello-world (GET /)", c]["rps"] for c in (16, 50)}
            print(f"candidate dashboard vs Flask hello-world, gunicorn as gateway/gunicorn.conf.py, "
                  f"wrk {options.seconds} s per figure")
            for label in targets:
                for connections in (16, 50):
                    f = results[label, connections]
                    print(f"  {label:46} c={connections:<3} {f['rps']:>8.0f} req/s "
                          f"({f['rps'] / hello[connections]:.3f}x)  p50 {f.get('p50', 0):6.1f} ms  "
                          f"p90 {f.get('p90', 0):6.1f} ms  p99 {f.get('p99', 0):7.1f} ms"
                          + (f"  {f['errors']} errors" if f["errors"] else ""))
        finally:
            for process in processes:
                process.terminate()
                process.wait(10)
            stack.stop()
            databases.drop_all()
            vhost.delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
