"""A private RabbitMQ node beside the machine's own, which a test may stop and start.

The machine's node (`rabbit@localhost` on 5672, /etc/rabbitmq) is shared by
every test run and by `make run`; a test that restarts a broker must never
touch it. This node has a name, ports, data, logs, configuration and Erlang
cookie of its own, all in one folder:

    folder/home/.erlang.cookie   made by Erlang at first start (HOME points here),
                                 so no CLI of the machine's node can reach this
                                 node and nothing here can reach the machine's
    folder/rabbitmq.conf         AMQP on 127.0.0.1:<free port>, nothing else
    folder/enabled_plugins       none (no management listener on 15672)
    folder/mnesia/               queues and persistent messages, kept across restart()
    folder/log/                  the node's log and its console output

`restart()` is a real node restart: SIGTERM (RabbitMQ's graceful shutdown,
as `rabbitmqctl stop`) or, with `crash=True`, SIGKILL; wait for the VM to
exit, start it again on the same ports and data. Durable queues and
confirmed persistent messages survive either.

Use it as `with RabbitNode(folder) as node:`, or start() it in a fixture of the
scope that shares it (tests/faults/conftest.py) and stop() it in a finally.
"""
from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from kombu import Connection

from tests.harness.smtp import free_port

SERVER = Path(os.environ.get("RABBITMQ_SERVER_SCRIPT", "/usr/lib/rabbitmq/bin/rabbitmq-server"))
START_TIMEOUT_SECONDS = 90
# RPC requests carry uploaded documents (5 MiB, base64): 16 MiB, as RPC_MAX_BYTES.
BROKER_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
STOP_TIMEOUT_SECONDS = 60


class RabbitNode:
    def __init__(self, folder: Path, definitions: dict | None = None):
        """`definitions` (a RabbitMQ definitions document: users, permissions,
        topology) are loaded at every boot; they must name the administrator
        guest/guest, since a node that loads definitions creates no guest."""
        self.folder = Path(folder)
        self.definitions = definitions
        self.nodename = f"certtrack-fault-{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.process: subprocess.Popen | None = None
        self.restarts = 0

    @property
    def amqp_uri(self) -> str:
        """The default vhost "/" as guest (who may log in from loopback only)."""
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def uri_as(self, user: str, password: str) -> str:
        return f"amqp://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{self.port}/"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> "RabbitNode":
        if not SERVER.exists():
            raise RuntimeError(f"RabbitMQ is not installed here ({SERVER} is missing)")
        self._write_files()
        with self.console_log.open("ab") as console:
            self.process = subprocess.Popen(
                [str(SERVER)], cwd=self.folder, env=self._environment(),
                stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                start_new_session=True,  # stop() can end the VM and every helper it started
            )
        atexit.register(self.stop)  # even if the test run dies before its fixtures finish
        self._wait_until_accepting()
        return self

    def restart(self, crash: bool = False) -> float:
        """Stop the node, start it again on the same ports and data; the seconds it was down.

        `crash=True` kills the VM with SIGKILL instead of shutting it down:
        clients see their sockets drop without a goodbye, unacked messages are
        delivered again and confirmed persistent ones are still there.
        """
        stopped_at = time.monotonic()
        if crash and self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self._stop_process()
        self.start()
        self.restarts += 1
        return time.monotonic() - stopped_at

    def stop(self) -> None:
        """Stop the node for good. Safe to call twice and after a failed start."""
        self._stop_process()
        atexit.unregister(self.stop)

    def __enter__(self) -> "RabbitNode":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- diagnostics -------------------------------------------------------
    @property
    def console_log(self) -> Path:
        return self.folder / "log" / "console.log"

    def log_tail(self, characters: int = 3000) -> str:
        parts = []
        for log in sorted((self.folder / "log").glob("*.log")):
            parts.append(f"--- {log.name}\n{log.read_text(errors='replace')[-characters:]}")
        return "\n".join(parts)

    def queue_depth(self, queue: str) -> int:
        """Messages ready in the queue (a passive declare: nothing is created)."""
        with Connection(self.amqp_uri, connect_timeout=5) as connection:
            return connection.default_channel.queue_declare(queue, passive=True).message_count

    # -- internals ---------------------------------------------------------
    def _write_files(self) -> None:
        for sub in ("home", "mnesia", "log"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        (self.folder / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\n"
            "loopback_users.guest = true\n"
            # The project's broker setting (docker-compose.yml): the hard cap
            # on any message, above the consumers' own 256 KiB for events.
            f"max_message_size = {BROKER_MAX_MESSAGE_SIZE}\n"
            + (f"load_definitions = {self.folder / 'definitions.json'}\n" if self.definitions else "")
        )
        if self.definitions:
            (self.folder / "definitions.json").write_text(json.dumps(self.definitions))
        (self.folder / "enabled_plugins").write_text("[].\n")
        (self.folder / "rabbitmq-env.conf").write_text("# this node's settings are in its environment\n")

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update(
            HOME=str(self.folder / "home"),
            RABBITMQ_NODENAME=self.nodename,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            # Not the machine's /etc/rabbitmq files: those name its node, port and plugins.
            RABBITMQ_CONF_ENV_FILE=str(self.folder / "rabbitmq-env.conf"),
            RABBITMQ_CONFIG_FILE=str(self.folder / "rabbitmq.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(self.folder / "advanced.config"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.folder / "enabled_plugins"),
            RABBITMQ_MNESIA_BASE=str(self.folder / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.folder / "log"),
            RABBITMQ_LOGS=str(self.folder / "log" / "node.log"),
            # Distribution on loopback only, through the machine's epmd, as its node does.
            ERL_EPMD_ADDRESS="127.0.0.1",
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}",
        )
        return env

    def _wait_until_accepting(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"RabbitMQ node {self.nodename} exited with {self.process.returncode}:\n"
                    f"{self.log_tail()}")
            if _port_open(self.port):
                try:
                    # Listeners open last in RabbitMQ's boot: a login that works means ready.
                    with Connection(self.amqp_uri, connect_timeout=2) as connection:
                        connection.connect()
                    return
                except Exception:  # noqa: BLE001 - not ready yet, whatever the client says
                    pass
            time.sleep(0.2)
        self._stop_process()
        raise RuntimeError(f"RabbitMQ node {self.nodename} did not accept AMQP within "
                           f"{START_TIMEOUT_SECONDS}s:\n{self.log_tail()}")

    def _stop_process(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            # The start script forwards SIGTERM to the VM as a graceful shutdown.
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left of the VM and its helpers (erl_child_setup, inet_gethost).
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if process.poll() is None:
            process.wait(10)
        _wait_port_closed(self.port)


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _wait_port_closed(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _port_open(port):
        time.sleep(0.1)

