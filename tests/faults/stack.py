"""The services under fault: real `nameko run` processes on a private RabbitMQ node.

Each service starts as `make run` starts it (`deploy/run_stack.py` `service()`),
with its own migrated database and the node's AMQP URI, and writes its output
to a log of its own, kept across restarts, which a failing wait quotes.
"""
from __future__ import annotations

import atexit
import importlib
import os
import signal
import secrets
import subprocess
import sys
import time
from pathlib import Path

from kombu import Connection

from certtrack_shared import broker_identities, topology
from tests.harness.rabbit_node import RabbitNode

ROOT = Path(__file__).resolve().parents[2]
# Back-off of a failed message: a broker restart or a killed database connection
# is over within seconds, so the last retry comes ~14 s after the first failure.
RETRY_DELAYS_MS = (200, 1000, 3000, 10000)
READY_TIMEOUT_SECONDS = 60


def _run_stack():
    """deploy/run_stack.py, imported as it runs: with deploy/ on the path (its imports)."""
    deploy = str(ROOT / "deploy")
    if deploy not in sys.path:
        sys.path.append(deploy)
    return importlib.import_module("run_stack")


def consumed_queues(service: str) -> list[str]:
    """The service's consuming queues (`evt-…--<service>.<handler>`)."""
    return [b.queue for b in topology.BINDINGS if b.queue.partition("--")[2].split(".")[0] == service]


# The services' broker passwords on the private node (its definitions hold their hashes).
BROKER_PASSWORDS = {party: secrets.token_urlsafe(12) for party in broker_identities.PARTIES}


class ServiceProcess:
    def __init__(self, name: str, env: dict[str, str], log: Path):
        self.name = name
        self.env = env
        self.log = log
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        component = _run_stack().service(self.name, self.env)
        component.env.update(self.broker_env())
        with self.log.open("a") as log:
            log.write(f"\n===== faults: starting {self.name} ({time.strftime('%H:%M:%S')})\n")
            log.flush()
            self.process = subprocess.Popen(
                component.argv, cwd=ROOT, env={**self.env, **component.env},
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    def broker_env(self) -> dict[str, str]:
        """Its own broker user, as `make run` and production start it."""
        return _run_stack().broker_env(self.name, self.env["AMQP_URI"], BROKER_PASSWORDS)

    def kill(self) -> None:
        """kill -9: no shutdown of any kind."""
        if self.alive:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, then -9 after `grace` seconds: how it winds down is not what is tested here."""
        if self.alive:
            self.process.terminate()
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.kill()

    def state(self) -> str:
        if self.process is None:
            return "never started"
        code = self.process.poll()
        return f"pid {self.process.pid}, " + ("running" if code is None else f"exited with {code}")

    def log_excerpt(self, problems: int = 15, last: int = 25) -> str:
        lines = _without_import_warnings(
            self.log.read_text(errors="replace").splitlines() if self.log.exists() else [])
        flagged = [line[:300] for line in lines if " WARNING " in line or " ERROR " in line]
        traceback = _last_traceback(lines)
        return "\n".join([
            f"--- {self.name}: {self.state()}, started {self.starts} time(s)",
            f"    last warnings/errors ({len(flagged)} in all):", *flagged[-problems:],
            "    its last traceback (CertTrack's frames and the innermost ones):" if traceback
            else f"    last {last} lines:",
            *(line[:300] for line in traceback or lines[-last:]),
        ])


class FaultStack:
    """A private node, the topology declared on it, and the services running on it."""

    def __init__(self, node: RabbitNode, env: dict[str, str], folder: Path):
        self.node = node
        self.env = env
        self.folder = folder
        self.services: dict[str, ServiceProcess] = {}

    def start(self, *names: str) -> "FaultStack":
        with Connection(self.node.amqp_uri) as connection:
            # As on a real broker: the topology exists before anything is published.
            topology.declare(connection, RETRY_DELAYS_MS)
        atexit.register(self.stop)  # even if the test run dies before its fixtures finish
        for name in names:
            self.services[name] = ServiceProcess(name, self.env, self.folder / f"{name}.log")
            self.services[name].start()
        for name in names:
            self.wait_ready(name)
        return self

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]

    def pids(self) -> dict[str, int | None]:
        return {name: service.pid for name, service in self.services.items()}

    def dead(self) -> list[str]:
        return [name for name, service in self.services.items() if not service.alive]

    def wait_ready(self, name: str) -> None:
        """Until every queue the service consumes has a consumer on the node."""
        service = self.services[name]
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if not service.alive:
                raise RuntimeError(f"{name} exited while starting\n{service.log_excerpt()}")
            if all(count >= 1 for count in self.consumer_counts(name).values()):
                return
            time.sleep(0.2)
        raise RuntimeError(f"{name} not consuming after {READY_TIMEOUT_SECONDS}s\n"
                           f"{service.log_excerpt()}")

    def consumer_counts(self, name: str) -> dict[str, int]:
        counts = {}
        try:
            with Connection(self.node.amqp_uri, connect_timeout=3) as connection:
                channel = connection.default_channel
                for queue in consumed_queues(name):
                    counts[queue] = channel.queue_declare(queue, passive=True).consumer_count
        except OSError:
            return {queue: 0 for queue in consumed_queues(name)}
        return counts

    def report(self) -> str:
        """What a failing wait needs to say: each process, its log, the node's state."""
        parts = [service.log_excerpt() for service in self.services.values()]
        state = "running" if self.node.process else "stopped"
        parts.append(f"--- rabbitmq node {self.node.nodename}: {state}, "
                     f"restarted {self.node.restarts} time(s); its log: {self.node.folder / 'log'}")
        return "\n".join(parts)

    def wait_for(self, predicate, timeout: float, message: str, interval: float = 0.25):
        """`predicate()`'s first true value. An AssertionError quoting every log when
        the time is up, or at once when a service process has died meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if self.dead():
                raise AssertionError(f"{', '.join(self.dead())} died while waiting for {message}\n"
                                     f"{self.report()}")
            if time.monotonic() >= deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {message}\n{self.report()}")
            time.sleep(interval)

    def heal(self) -> list[str]:
        """Leave things healthy for the next scenario, whatever this one did.

        A service that died is started again, after its queues are purged:
        a poison message that killed it must not kill it again in the next
        scenario. Returns what was done, for the test run's output.
        """
        done = []
        if self.node.process is None or self.node.process.poll() is not None:
            self.node.start()
            done.append("started the RabbitMQ node again")
        for name in self.dead():
            service = self.services[name]
            purged = self.purge(consumed_queues(name))
            done.append(f"{name} had died ({service.state()}); purged {purged} messages; restarted")
            service.start()
            self.wait_ready(name)
        return done

    def purge(self, queues: list[str]) -> int:
        with Connection(self.node.amqp_uri) as connection:
            channel = connection.default_channel
            return sum(channel.queue_purge(queue) or 0 for queue in queues)

    def stop(self) -> None:
        for service in self.services.values():  # all at once: each takes seconds to wind down
            if service.alive:
                service.process.terminate()
        for service in self.services.values():
            service.stop()
        atexit.unregister(self.stop)


def _without_import_warnings(lines: list[str]) -> list[str]:
    """A log without the DeprecationWarnings libraries print at import (and the
    source line Python prints under each), which would crowd out what matters."""
    kept, skip_next = [], False
    for line in lines:
        if skip_next and line.startswith("  "):
            skip_next = False
            continue
        skip_next = "DeprecationWarning" in line
        if not skip_next:
            kept.append(line)
    return kept


def _last_traceback(lines: list[str], innermost: int = 8) -> list[str]:
    """The log's last traceback, shortened to what says which call failed: the
    frames in CertTrack's own code, then the innermost frames and the error."""
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback ")]
    if not starts:
        return []
    block = [lines[starts[-1]]]
    for line in lines[starts[-1] + 1:]:
        block.append(line)
        if not line.startswith(" "):  # the exception itself ends the traceback
            break
    frames = [i for i, line in enumerate(block[:-innermost])
              if line.startswith("  File ") and "/lib/python3" not in line]  # not a library's
    ours = [line for i in frames for line in block[i:i + 2]]
    return [block[0], *ours, "  ...", *block[-innermost:]]
