"""A tiny Nameko service for exercising the gateway's RPC pool against a real
broker, and how to start it in a subprocess (used by the tests and
benchmarks/bench_rpc.py).

Run by `nameko run`, so eventlet is patched there and `time.sleep` in `slow`
blocks only its own worker.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

from nameko.rpc import rpc

SERVICE_NAME = "probe"


class ProbeService:
    name = SERVICE_NAME

    @rpc
    def health(self):
        return {"service": SERVICE_NAME, "database": "ok"}

    @rpc
    def slow(self, seconds):
        time.sleep(seconds)
        return {"slept": seconds}

    @rpc
    def echo(self, value):
        return value


@contextmanager
def running_probe(amqp_uri: str, ready_within: float = 30.0):
    """A `probe` service running under `nameko run` until the block exits."""
    with tempfile.TemporaryDirectory(prefix="certtrack-probe-") as workdir:
        config = os.path.join(workdir, "config.yml")
        with open(config, "w") as file:
            file.write(f"AMQP_URI: '{amqp_uri}'\nmax_workers: 20\n")
        log_path = os.path.join(workdir, "probe.log")
        environment = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.abspath(__file__)))
        nameko = os.path.join(os.path.dirname(sys.executable), "nameko")
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [nameko, "run", "--config", config, "probe_service"],
                cwd=workdir, env=environment, stdout=log, stderr=subprocess.STDOUT,
            )
        try:
            if not _answers_health(amqp_uri, process, time.monotonic() + ready_within):
                with open(log_path, errors="replace") as log:
                    raise RuntimeError(f"probe service did not start:\n{log.read()}")
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _answers_health(amqp_uri: str, process: subprocess.Popen, deadline: float) -> bool:
    # Imported here: the service process itself needs none of this.
    from nameko.exceptions import RpcTimeout, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    standalone = ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=1)
    cluster = standalone.start()
    try:
        while process.poll() is None and time.monotonic() < deadline:
            try:
                cluster[SERVICE_NAME].health()
                return True
            except (UnknownService, RpcTimeout):
                time.sleep(0.2)
        return False
    finally:
        # Not left behind for the broker's 5-minute reply-queue TTL.
        standalone._reply_listener.queue_consumer.queue.delete()
        standalone.stop()
