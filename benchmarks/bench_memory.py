#!/usr/bin/env python3
"""Memory and start benchmark (`make bench BENCH=memory`): prints figures, asserts nothing.

Issue 18, P4: the whole stack's resident memory after a workload of 100
logins, 1,000 results and 50 page views per candidate, and `make run` to
/readyz.

Start: `make run` itself (the virtualenv already installed), on this run's
private vhost, databases and ports, timed from launch until /readyz answers
200: --starts times on databases already migrated (a developer's usual
`make run`), after one first start that migrates empty databases.

Memory: the stack as `make run` starts it (deploy/run_stack.py through the
end-to-end suite's Stack, one process per service), then the workload on
--candidates candidates (default 20):
- results: --results vendor results in all (default 1,000: 50 per
  candidate), each after its registration, alternately CCNA and DevNet
  Associate, failed and passed (exams → identity, certs, fulfillment,
  transcripts, mails). Each candidate's first result creates the candidate,
  who then sets a password by the first-time link (before the other results,
  whose mails would make the development mailbox slow to search); the
  others follow, and the workload waits until every sitting is stored, every
  queue empty and every outbox sent;
- logins: --logins in all (default 100: 5 per candidate), the site's login
  form and the API's token in turn, --threads at once (password hashing;
  their rate and latency are printed);
- page views: --views per candidate (default 50): five rounds of the
  dashboard and four other candidate pages of the site, three of the API,
  and the candidate's shared transcript verified by a third party (page and
  JSON), --threads at once.
It prints every process (pid, component, role, RSS, PSS from
/proc/<pid>/smaps_rollup, peak), idle after the start and after the
workload, and the totals: all processes, and without the development-only
ones (benchmarks/process_memory.py says which).

--env NAME=VALUE (repeatable) starts the stack with that environment, e.g.
`--env EVENTLET_THREADPOOL_SIZE=20` (decision 0037). --start-only times the
starts and stops there.
"""
from __future__ import annotations

import argparse
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_dashboard import logged_in_cookie  # noqa: E402
from bench_pipeline import queues_busy, unsent, _publish_all  # noqa: E402
from certtrack_shared.config import SERVICES  # noqa: E402
from certtrack_shared.devmail import DevMailbox  # noqa: E402
from process_memory import Process, stack_processes  # noqa: E402
from tests.e2e.identity_steps import FIRST_TIME_LINK  # noqa: E402
from tests.e2e.stack import Stack  # noqa: E402
from tests.e2e.test_transcripts import CCNA_EXAM, DEVNET_EXAM, PASSWORD  # noqa: E402
from tests.harness.broker import Vhost  # noqa: E402
from tests.harness.messages import wait_for  # noqa: E402
from tests.harness.databases import RunDatabases  # noqa: E402
from tests.harness.vendor import registration, result  # noqa: E402

# What run_stack runs once the site is up, and which then exits (deploy/run_stack.py, EXTRAS).
ONE_SHOTS = {"load-demo", "create-staff"}
SITE_PAGES = ("/certifications", "/testing-history", "/personal-info", "/transcripts", "/certificates/orders")
API_PAGES = ("/api/v1/me/certifications", "/api/v1/me/exams", "/api/v1/me")


# ---------------------------------------------------------------- start


def time_to_ready(env: dict[str, str], port: int, timeout: float = 120) -> float:
    """Seconds from launching `make run` until /readyz answers 200; the stack is stopped after."""
    started = time.monotonic()
    process = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=ROOT, env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while time.monotonic() - started < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"make run exited with {process.returncode} before /readyz answered")
            try:
                if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"/readyz did not answer 200 within {timeout:.0f} s")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def measure_start(stack: Stack, starts: int) -> None:
    env = dict(stack.env, REPLICAS="1")
    env.pop("PAYMENT_SANDBOX_URL")  # run_stack starts its own, as in make run
    first = time_to_ready(env, stack.port)
    print(f"make run to /readyz, empty databases (migrations create every table): {first:.1f} s")
    times = [time_to_ready(env, stack.port) for _ in range(starts)]
    print("make run to /readyz, databases already migrated: "
          + ", ".join(f"{seconds:.1f}" for seconds in times) + " s")


# ------------------------------------------------------------- workload


def sittings(emails: list[str], results: int) -> list[list[tuple[str, dict]]]:
    """The vendor messages in two waves: each candidate's first sitting (which creates the
    candidate), then the rest, a registration before each result."""
    taken = datetime.now(timezone.utc) - timedelta(days=400)
    first, rest = [], []
    for index, email in zip(range(results), itertools.cycle(emails)):
        exam = (CCNA_EXAM, DEVNET_EXAM)[index // len(emails) % 2]
        passed = index < len(emails) or index // (2 * len(emails)) % 2 == 1
        number = f"7{uuid.uuid4().int % 10**8:08d}"
        taken_at = (taken + timedelta(days=index // len(emails) * 7)).strftime("%Y-%m-%dT%H:%M:%SZ")
        wave = first if index < len(emails) else rest
        wave.append(("exam_registration", registration(number, email=email, last_name="Memory", exam=exam)))
        wave.append(("exam_result", result(number, score=900 if passed else 700, email=email, exam=exam,
                                           taken_at=taken_at, last_name="Memory")))
    return [first, rest]


def stored_sittings(engines: dict) -> int:
    with engines["exams"].connect() as connection:
        return connection.execute(text("SELECT count(*) FROM sittings")).scalar_one()


def wait_until_quiet(vhost: Vhost, engines: dict, sittings_expected: int, timeout: float = 900) -> None:
    """That many sittings stored, every queue empty and every outbox sent, twice in a row."""
    deadline, quiet = time.monotonic() + timeout, 0
    while quiet < 2:
        if time.monotonic() > deadline:
            raise RuntimeError("the stack did not finish the results in time")
        done = stored_sittings(engines) >= sittings_expected
        quiet = quiet + 1 if done and queues_busy(vhost) == 0 and unsent(engines) == 0 else 0
        time.sleep(0.5)


def first_time_link(stack: Stack, email: str) -> str:
    """The link mailed to `email`, read from the stack's mailbox on disk: on a busy machine
    eight clients polling /dev/mail.json at once time out, and they are not the workload."""
    def newest_link():
        for mail in DevMailbox(str(stack.maildir)).messages():  # newest first
            found = email in mail["to"] and FIRST_TIME_LINK.search(mail["text"] or "")
            if found:
                return found.group()
        return None

    return wait_for(newest_link, timeout=120, message=f"a mail with a link to {email}")


def set_password(site: str, stack: Stack, email: str) -> None:
    assert requests.post(f"{site}/api/v1/auth/first-time", json={"email": email}, timeout=30).status_code == 202
    token = first_time_link(stack, email).rsplit("/", 1)[1]
    answer = requests.post(f"{site}/api/v1/auth/password", json={"token": token, "password": PASSWORD}, timeout=30)
    assert answer.status_code == 204, answer.text


def log_in(site: str, email: str, number: int) -> tuple[dict[str, str], float]:
    """The site's login form (a session cookie) and the API's token, in turn; and how long it took."""
    started = time.monotonic()
    if number % 2:
        return {"Cookie": logged_in_cookie(site, email)}, time.monotonic() - started
    answer = requests.post(f"{site}/api/v1/auth/token", json={"login": email, "password": PASSWORD}, timeout=60)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}, time.monotonic() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def share_transcript(site: str, bearer: dict[str, str]) -> dict:
    answer = requests.post(
        f"{site}/api/v1/me/transcripts", headers=bearer,
        json={"description": "For a recruiter", "valid_through": (datetime.now().date() + timedelta(days=30)).isoformat(),
              "display": {"certifications": "all_active", "include_expired": False,
                          "include_exams": True, "show_email": False}},
        timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()


def page_views(site: str, cookie: dict, bearer: dict, transcript: dict) -> list[tuple[str, dict]]:
    """One round of what a candidate and a third party open: ten views."""
    verification = f"/{transcript['code']}?access_code={transcript['access_code']}"
    return ([(f"{site}{path}", cookie) for path in SITE_PAGES]
            + [(f"{site}{path}", bearer) for path in API_PAGES]
            + [(f"{site}/verify{verification}", {}), (f"{site}/api/v1/verify{verification}", {})])


def view(url: str, headers: dict) -> None:
    answer = requests.get(url, headers=headers, timeout=60, allow_redirects=False)
    assert answer.status_code == 200, (url, answer.status_code)


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


# -------------------------------------------------------------- figures


def print_processes(title: str, processes: list[Process]) -> None:
    print(f"--- {title}")
    print(f"{'pid':>7} {'component':20} {'role':8} {'RSS MiB':>8} {'PSS MiB':>8} {'peak MiB':>9}  command")
    for p in processes:
        print(f"{p.pid:>7} {p.component:20} {p.role:8} {p.rss_kib / 1024:>8.1f} {p.pss_kib / 1024:>8.1f} "
              f"{p.peak_kib / 1024:>9.1f}  {p.command[:90]}")
    certtrack = [p for p in processes if not p.development_only]
    for label, group in (("every process", processes), ("CertTrack's components (no development-only)", certtrack)):
        print(f"total, {label} ({len(group)}): RSS {sum(p.rss_kib for p in group) / 1024:.0f} MiB, "
              f"PSS {sum(p.pss_kib for p in group) / 1024:.0f} MiB")
    by_component: dict[str, list[Process]] = {}
    for p in certtrack:
        by_component.setdefault(p.component, []).append(p)
    print("per component (a Kubernetes container): " + ", ".join(
        f"{name} {sum(p.rss_kib for p in group) / 1024:.0f}/{sum(p.pss_kib for p in group) / 1024:.0f}"
        f" (peak {sum(p.peak_kib for p in group) / 1024:.0f})" for name, group in sorted(by_component.items()))
        + "  [RSS/PSS MiB]")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--results", type=int, default=1000)
    parser.add_argument("--logins", type=int, default=100)
    parser.add_argument("--views", type=int, default=50, help="page views per candidate")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--starts", type=int, default=3, help="timed `make run` starts (0: none)")
    parser.add_argument("--start-only", action="store_true", help="time the starts, skip the memory workload")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    options = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # figures appear as they are measured, even into a file
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the stack and drop its databases on kill
    print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")

    vhost = Vhost().create()
    databases = RunDatabases()
    urls = {service: databases.url(f"mem_{service}") for service in SERVICES}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as folder:
        stack = Stack(vhost.amqp_uri, urls, Path(folder))
        stack.env["REPLICAS"] = "1"  # one process per service, as make run starts it
        stack.env.update(setting.split("=", 1) for setting in options.env)
        engines = {}
        try:
            if options.starts:
                measure_start(stack, options.starts)
            if options.start_only:
                return 0
            started = time.monotonic()
            stack.start()
            print(f"stack (run_stack through the test harness) ready in {time.monotonic() - started:.1f} s")
            sandbox = (stack.payment_sandbox.process.pid,)  # make run starts it too; the harness starts it beside
            wait_for(lambda: not {p.component for p in stack_processes(stack.process.pid)} & ONE_SHOTS, timeout=120,
                     message="the demo loader and the staff account to finish")
            print_processes("ready, idle", stack_processes(stack.process.pid, sandbox))

            engines = {service: create_engine(url) for service, url in urls.items()}
            emails = [f"memory.{uuid.uuid4().hex[:10]}@example.com" for _ in range(options.candidates)]
            started = time.monotonic()
            first, rest = sittings(emails, options.results)
            before = stored_sittings(engines)  # the demo candidate's
            _publish_all(vhost, first)
            wait_until_quiet(vhost, engines, before + len(first) // 2)
            # Before the other results: their mails would make the mailbox slow to search.
            with ThreadPoolExecutor(options.threads) as pool:
                list(pool.map(lambda email: set_password(stack.url, stack, email), emails))
            _publish_all(vhost, rest)
            wait_until_quiet(vhost, engines, before + options.results)
            print(f"{options.results} results for {options.candidates} candidates handled, and their "
                  f"first-time passwords set, in {time.monotonic() - started:.0f} s")

            logins = [(email, number) for number in range(options.logins // len(emails)) for email in emails]
            started = time.monotonic()
            with ThreadPoolExecutor(options.threads) as pool:
                sessions = list(pool.map(lambda login: (login[0], *log_in(stack.url, *login)), logins))
            elapsed = time.monotonic() - started
            cookies = {email: s for email, s, _ in sessions if "Cookie" in s}
            bearers = {email: s for email, s, _ in sessions if "Authorization" in s}
            took = [seconds for _, _, seconds in sessions]
            print(f"{len(logins)} logins in {elapsed:.1f} s ({options.threads} threads): "
                  f"{len(logins) / elapsed:.1f} logins/s, "
                  f"p50 {percentile(took, 0.5) * 1000:.0f} ms, p95 {percentile(took, 0.95) * 1000:.0f} ms")

            started = time.monotonic()
            transcripts = {email: share_transcript(stack.url, bearers[email]) for email in emails}
            rounds = [page_views(stack.url, cookies[email], bearers[email], transcripts[email]) for email in emails]
            views = [seen for round_ in rounds for seen in round_] * (options.views // len(rounds[0]))
            with ThreadPoolExecutor(options.threads) as pool:
                list(pool.map(lambda seen: view(*seen), views))
            print(f"{len(views)} page views in {time.monotonic() - started:.0f} s ({options.threads} threads)")
            print_processes("after the workload", stack_processes(stack.process.pid, sandbox))
            print("--- migration Jobs (alembic upgrade head on an empty database)")
            for service, peak in migration_peaks(databases).items():
                print(f"migrate-{service:12} peak {peak / 1024:>5.0f} MiB")
        except Exception:
            print(f"the stack logged:\n{stack.problems()}")
            raise
        finally:
            for engine in engines.values():
                engine.dispose()
            stack.stop()
            databases.drop_all()
            vhost.delete()
    print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
