"""Where each piece of infrastructure comes from, decided from facts alone so
that every kind of machine can be tried on any one (tests/test_fresh_machine_choice.py).

The order of preference: what already answers is used as it is; a machine
that can install Debian's packages (apt-get, as root) gets them, because they
stay installed and the next run starts at once; otherwise a Docker engine runs
a throwaway container for the length of the command; otherwise the piece is
missing, which stops the command when nothing can stand in for it.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

COMPONENTS = ("rabbitmq", "postgres", "redis")
TITLES = {"rabbitmq": "RabbitMQ", "postgres": "PostgreSQL", "redis": "Redis"}
DEBIAN_PACKAGES = {"rabbitmq": "rabbitmq-server", "postgres": "postgresql", "redis": "redis-server"}
# What `make run` falls back to without it; `make test` (strict) has no fallback
# because its tests run against the real thing. The broker has none at all.
FALLBACKS = {
    "postgres": "make run keeps each service's data in SQLite files under var/",
    "redis": "logging out will not end copies of a session cookie",
}


class Source(enum.Enum):
    RUNNING = "already running"
    DEBIAN = "Debian's packages"
    CONTAINER = "a throwaway container"
    MISSING = "missing"


@dataclass(frozen=True)
class Facts:
    answering: frozenset[str]
    """The components whose address takes a TCP connection now."""
    apt: bool
    root: bool
    engine: bool
    """A Docker engine answered a ping."""
    strict: bool = False
    """make test: no fallback for a missing PostgreSQL or Redis."""
    broker_ours: bool = True
    """AMQP_URI names one address on this machine; a remote broker or a
    cluster of several is somebody else's to start."""
    broker_address: str = "127.0.0.1:5672"


@dataclass(frozen=True)
class Choice:
    component: str
    source: Source
    message: str = ""
    fatal: bool = False


def choose(facts: Facts) -> dict[str, Choice]:
    return {component: choose_one(component, facts) for component in COMPONENTS}


def choose_one(component: str, facts: Facts) -> Choice:
    if component in facts.answering:
        return Choice(component, Source.RUNNING)
    title = TITLES[component]
    address = address_of(component, facts)
    if component == "rabbitmq" and not facts.broker_ours:
        return Choice(component, Source.MISSING, fatal=True, message=(
            f"no broker answers at {address} (AMQP_URI); CertTrack starts a broker "
            "only for a single address on this machine"))
    if facts.apt and facts.root:
        return Choice(component, Source.DEBIAN)
    if facts.engine:
        return Choice(component, Source.CONTAINER)
    if facts.apt:
        remedy = f"install and start it as root (apt-get install {DEBIAN_PACKAGES[component]})"
    else:
        remedy = "start one there"
    message = (f"{title} does not answer at {address}: {remedy}, or start a Docker engine "
               "and make run / make test run it as a throwaway container")
    required = component == "rabbitmq" or facts.strict
    if not required:
        message += f"; meanwhile {FALLBACKS[component]}"
    return Choice(component, Source.MISSING, message=message, fatal=required)


def address_of(component: str, facts: Facts) -> str:
    return {"rabbitmq": facts.broker_address, "postgres": "127.0.0.1:5432",
            "redis": "127.0.0.1:6379"}[component]
