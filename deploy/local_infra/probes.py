"""The facts choice.py decides on, read off this machine. Only cheap probes
(a TCP connect on loopback, a look-up on PATH): they run on every `make run`."""
from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from .choice import Facts

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# The one port each component is known by; RabbitMQ's comes from AMQP_URI.
PORTS = {"postgres": 5432, "redis": 6379}


def port_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def broker_addresses(amqp_uri: str) -> list[tuple[str, int]]:
    """Every (host, port) of AMQP_URI, which may be kombu's ;-separated failover list."""
    addresses = []
    for one in amqp_uri.split(";"):
        if one.strip():
            parts = urlsplit(one.strip())
            addresses.append((parts.hostname or "127.0.0.1", parts.port or 5672))
    return addresses


def gather(env: Mapping[str, str], engine: bool,
           answers: Callable[[str, int], bool] = port_answers) -> Facts:
    brokers = broker_addresses(env.get("AMQP_URI") or DEFAULT_AMQP_URI)
    answering = {name for name, port in PORTS.items() if answers("127.0.0.1", port)}
    if any(answers(host, port) for host, port in brokers):
        answering.add("rabbitmq")
    return Facts(
        answering=frozenset(answering),
        apt=shutil.which("apt-get") is not None,
        root=os.geteuid() == 0,
        engine=engine,
        strict=env.get("STRICT") == "1",
        broker_ours=len(brokers) == 1 and brokers[0][0] in LOCAL_HOSTS,
        broker_address=", ".join(f"{host}:{port}" for host, port in brokers),
    )
