#!/usr/bin/env python3
"""Memory benchmark (`make bench BENCH=memory`): prints figures, asserts nothing.

Starts the whole stack as `make run` does (deploy/run_stack.py, through the
end-to-end suite's Stack on a private vhost and databases), runs a modest
workload and prints the resident memory of every CertTrack component: its
peak (the kernel's high-water mark, VmHWM, of each of its processes) and
what it holds after the workload (VmRSS). A component is what one container
runs in Kubernetes, so its figure is the sum over its processes (gunicorn's
master and its WEB_CONCURRENCY workers for the gateway and the transcripts
web app; one `nameko run` for a service). The requests and limits of
deploy/k8s/base are taken from these figures (docs/benchmarks.md).

The workload, on --candidates candidates:
- vendor results: a registration and a passing result for CCNA and DevNet
  Associate each (exams → identity, certs, fulfillment, transcripts);
- logins: each candidate sets a password by the first-time link, then logs
  in --rounds times over the API (password hashing);
- page views: every round, each candidate's profile, exams, certifications,
  continuing education, orders, transcripts and badges over the API; one
  transcript each, whose verification page and JSON a third party opens
  every round.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from certtrack_shared.config import SERVICES  # noqa: E402
from tests.e2e.stack import Stack  # noqa: E402
from tests.drills.candidate_record import certified_candidate, pages, share_transcript  # noqa: E402
from tests.harness.broker import Vhost  # noqa: E402
from tests.harness.databases import RunDatabases  # noqa: E402



def component_of(cmdline: list[str]) -> str | None:
    """Which CertTrack component a process of the stack belongs to, from its command line."""
    line = " ".join(cmdline)
    if "gateway.app:create_app" in line:
        return "gateway"
    if "transcripts.public_web:create_app" in line:
        return "transcripts-web"
    if "nameko" in line and " run " in f" {line} ":
        for service in SERVICES:
            if f"{service}.service" in cmdline:
                return service
    return None


def descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        found += [int(child) for child in children]
        queue += [int(child) for child in children]
    return found


def status_kib(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def memory(stack_pid: int) -> dict[str, dict[str, int]]:
    """Per component: peak and current resident memory in KiB, summed over its processes."""
    figures: dict[str, dict[str, int]] = {}
    for pid in descendants(stack_pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_text().split("\0")
            component = component_of(cmdline)
            if component is None:
                continue
            fields = status_kib(pid)
        except OSError:  # exited while we looked
            continue
        entry = figures.setdefault(component, {"peak": 0, "rss": 0, "processes": 0})
        entry["peak"] += fields.get("VmHWM", 0)
        entry["rss"] += fields.get("VmRSS", 0)
        entry["processes"] += 1
    return figures


def browse(stack: Stack, email: str, transcript: dict) -> None:
    pages(stack.url, email, transcript)  # a login, every candidate page and the verification JSON
    requests.get(f"{stack.url}/verify/{transcript['code']}", timeout=30).raise_for_status()


def migration_peaks(databases: RunDatabases) -> dict[str, int]:
    """Peak resident memory (KiB) of each service's migration Job, run alone on an empty database."""
    peaks = {}
    for service in SERVICES:
        url = databases.url(f"mem_migrate_{service}")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([f"services/{service}", os.environ.get("PYTHONPATH", "")]),
                   **{f"{service.upper()}_DATABASE_URL": url})
        # One child per interpreter, so RUSAGE_CHILDREN's maximum is that child's own.
        probe = ("import resource, subprocess, sys; "
                 "subprocess.run([sys.executable, '-m', 'certtrack_shared.migrations', sys.argv[1]], check=True, "
                 "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        done = subprocess.run([sys.executable, "-c", probe, service], env=env, cwd=ROOT, check=True,
                              capture_output=True, text=True)
        peaks[service] = int(done.stdout.split()[-1])
    return peaks


def print_table(title: str, figures: dict[str, dict[str, int]]) -> None:
    print(f"--- {title}")
    print(f"{'component':18} {'processes':>9} {'peak MiB':>9} {'after MiB':>10}")
    for component in sorted(figures):
        entry = figures[component]
        print(f"{component:18} {entry['processes']:>9} {entry['peak'] / 1024:>9.0f} {entry['rss'] / 1024:>10.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=6)
    options = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # figures appear as they are measured, even into a file
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the stack and drop its databases on kill

    vhost = Vhost().create()
    databases = RunDatabases()
    urls = {service: databases.url(f"mem_{service}") for service in SERVICES}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as folder:
        stack = Stack(vhost.amqp_uri, urls, Path(folder))
        stack.env["REPLICAS"] = "1"  # one process per service, as one container runs it
        try:
            started = time.monotonic()
            stack.start()
            print(f"stack ready in {time.monotonic() - started:.0f} s")
            print_table("ready, idle", memory(stack.process.pid))

            started = time.monotonic()
            emails = [f"memory.{uuid.uuid4().hex[:10]}@example.com" for _ in range(options.candidates)]
            with ThreadPoolExecutor(3) as pool:  # vendor results and first-time logins
                list(pool.map(lambda email: certified_candidate(stack, vhost.amqp_uri, email), emails))
            transcripts = {email: share_transcript(stack.url, email) for email in emails}
            print(f"{options.candidates} candidates certified and sharing a transcript "
                  f"in {time.monotonic() - started:.0f} s")

            started = time.monotonic()
            with ThreadPoolExecutor(options.threads) as pool:
                for _ in range(options.rounds):
                    list(pool.map(lambda email: browse(stack, email, transcripts[email]), emails))
            views = options.rounds * options.candidates
            print(f"{views} logins and {views * 9} page views "
                  f"in {time.monotonic() - started:.0f} s ({options.threads} threads)")
            print_table("after the workload", memory(stack.process.pid))
            print("--- migration Jobs (alembic upgrade head on an empty database)")
            for service, peak in migration_peaks(databases).items():
                print(f"migrate-{service:12} peak {peak / 1024:>5.0f} MiB")
        finally:
            stack.stop()
            databases.drop_all()
            vhost.delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
