"""The gateway's metrics (issue 17, item 3), on gunicorn as deployed: two
worker processes, request series summed across them on METRICS_PORT,
served by gunicorn's master, and never on the public port.

No service runs: /healthz answers without one, and /readyz answers 503
because the broker it is given refuses connections, which is the 5xx the
alert rules watch.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.harness.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]


def samples(text: str) -> dict[tuple, float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(series: dict, name: str, **labels) -> float:
    wanted = set(labels.items())
    return sum(v for (n, found), v in series.items() if n == name and wanted <= set(found))


def _wait_until_answering(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    """The master listens before its workers have imported the app: until
    then a connection is accepted and waits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}")
        try:
            requests.get(url, timeout=2)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}")


def _children(process: subprocess.Popen) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    """One gunicorn for the module: starting one costs seconds (the master and
    each worker import the app). Tests read differences between scrapes."""
    tmp_path = tmp_path_factory.mktemp("gateway-metrics")
    site, metrics_port = free_port(), free_port()
    env = {**os.environ, "CERTTRACK_ENV": "test", "PORT": str(site), "METRICS_PORT": str(metrics_port),
           "WEB_CONCURRENCY": "2", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
           # A broker that refuses at once: /readyz answers 503 without waiting.
           "AMQP_URI": f"amqp://guest:guest@127.0.0.1:{free_port()}/", "RPC_TIMEOUT": "1"}
    # A stale file of an earlier run, which the start must not count.
    (tmp_path / "counter_1.db").write_bytes(b"left over")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gateway/gunicorn.conf.py"], cwd=ROOT, env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        _wait_until_answering(f"http://127.0.0.1:{metrics_port}/metrics", process)
        _wait_until_answering(f"http://127.0.0.1:{site}/healthz", process)
        yield f"http://127.0.0.1:{site}", f"http://127.0.0.1:{metrics_port}/metrics", process
    finally:
        # The master and its workers at once: how gunicorn shuts down is not
        # under test here, and a graceful stop waits for workers still booting.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_requests_of_every_worker_are_counted_by_route_and_status(gateway):
    site, metrics_url, _ = gateway
    before = samples(requests.get(metrics_url, timeout=5).text)
    secret = uuid.uuid4().hex

    for _ in range(20):  # a connection each, so the kernel spreads them over both workers
        assert requests.get(f"{site}/healthz", timeout=5).status_code == 200
    assert requests.get(f"{site}/no-such-page/{secret}", timeout=5).status_code == 404
    assert requests.request("BREW", f"{site}/healthz", timeout=5).status_code == 405
    assert requests.get(f"{site}/readyz", timeout=15).status_code == 503

    text = requests.get(metrics_url, timeout=5).text
    after = samples(text)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    # Served by gunicorn's master, which answers no request: every count came
    # from the workers' files.
    assert moved("certtrack_http_requests_total", method="GET", route="/healthz", status="200") == 20
    assert moved("certtrack_http_request_duration_seconds_count", method="GET", route="/healthz") == 20
    assert moved("certtrack_http_requests_total", route="/readyz", status="503") == 1
    # What a client sent never becomes a label: not the path, not the method.
    assert moved("certtrack_http_requests_total", method="GET", route="unmatched", status="404") == 1
    # A method no rule allows matches no rule either.
    assert moved("certtrack_http_requests_total", method="other", route="unmatched", status="405") == 1
    assert secret not in text and "BREW" not in text


def test_public_site_does_not_serve_metrics(gateway):
    site, metrics_url, _ = gateway
    assert requests.get(f"{site}/metrics", timeout=5).status_code == 404
    assert requests.get(metrics_url.replace("/metrics", "/healthz"), timeout=5).status_code == 404


def test_a_workers_counts_outlive_it(gateway):
    """Last in the module: it ends the workers (gunicorn starts others)."""
    site, metrics_url, process = gateway
    before = value(samples(requests.get(metrics_url, timeout=5).text),
                   "certtrack_http_requests_total", route="/healthz")
    for _ in range(10):
        requests.get(f"{site}/healthz", timeout=5)
    counted = value(samples(requests.get(metrics_url, timeout=5).text),
                    "certtrack_http_requests_total", route="/healthz")
    assert counted - before == 10
    workers = _children(process)
    assert len(workers) == 2
    for pid in workers:
        os.kill(pid, signal.SIGKILL)  # a crash: gunicorn replaces them (child_exit runs)
    deadline = time.monotonic() + 20
    while set(workers) & set(_children(process)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not set(workers) & set(_children(process)), "the workers did not exit"
    assert value(samples(requests.get(metrics_url, timeout=5).text),
                 "certtrack_http_requests_total", route="/healthz") == counted
