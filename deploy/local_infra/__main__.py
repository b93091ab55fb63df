"""python -m deploy.local_infra [-- COMMAND ...]

Make sure RabbitMQ, PostgreSQL and Redis answer, then run COMMAND (`make run`
and `make test` run the stack and the suites this way). Each comes from where
choice.py says: what already answers is used; Debian's packages are installed
and started by scripts/ensure_infra.sh, which also sees to Chromium, fonts and
promtool and wrk; throwaway containers are started through a Docker engine and
removed when COMMAND ends, whatever its result. STRICT=1 (make test): a
missing PostgreSQL or Redis stops it.

Without COMMAND (`make infra`) nothing throwaway is started: it would outlive
nothing; the output says which components would run as containers.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from . import engine, probes
from .choice import TITLES, Choice, Source, choose
from .containers import Owner, specs_for

ROOT = Path(__file__).resolve().parents[2]
DEBIAN_SCRIPT = ROOT / "scripts" / "ensure_infra.sh"
# Not servers: the developer's own business on a machine without apt-get.
TOOLS = ("chromium", "fonts", "promtool", "wrk")


def say(message: str) -> None:
    print(f"infra: {message}", flush=True)


def complain(message: str, fatal: bool) -> None:
    print(f"infra: {'ERROR' if fatal else 'WARNING'}: {message}", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    owner = Owner(os.getpid(), socket.gethostname())
    client = engine.connect(os.environ)
    if client is not None:
        # Before the probes: a leftover would answer on the ports and pass for running.
        engine.remove_leftovers(client, owner, say)
    facts = probes.gather(os.environ, engine=client is not None)
    amqp_port = probes.broker_addresses(os.environ.get("AMQP_URI") or probes.DEFAULT_AMQP_URI)[0][1]
    return provide(choose(facts), client, owner, command, amqp_port)


def provide(choices: dict[str, Choice], client, owner: Owner, command: list[str],
            amqp_port: int = 5672) -> int:
    """Carry out the choices, run command if any and return its exit status."""
    by_debian = [c for c, choice in choices.items() if choice.source in (Source.RUNNING, Source.DEBIAN)]
    status = subprocess.call([str(DEBIAN_SCRIPT), *by_debian, *TOOLS])
    if status:
        return status
    missing = [choice for choice in choices.values() if choice.source is Source.MISSING]
    for choice in missing:
        complain(choice.message, choice.fatal)
    if any(choice.fatal for choice in missing):
        return 1

    wanted = [c for c, choice in choices.items() if choice.source is Source.CONTAINER]
    if not wanted:
        return run(command) if command else 0
    if not command:
        names = " and ".join(TITLES[c] for c in wanted)
        say(f"{names} would run as {'throwaway containers' if len(wanted) > 1 else 'a throwaway container'} "
            "for make run and make test; none is started for make infra alone")
        return 0
    return hold(client, specs_for(wanted, amqp_port), owner, command)


def hold(client, specs, owner: Owner, command: list[str], sleep=time.sleep) -> int:
    """Run command with the containers up; remove them when it ends."""
    try:
        containers = engine.start(client, specs, owner, say, sleep=sleep)
    except Exception as exc:  # the engine's refusal (a port taken, no such image) or EngineError
        complain(f"the throwaway containers did not come up: {exc}", fatal=True)
        return 1
    except KeyboardInterrupt:  # Ctrl-C while pulling or waiting: start removed what it made
        return 130
    try:
        return run(command)
    finally:
        engine.remove(containers, say)


def run(command: list[str]) -> int:
    """Run command to its end, and return its exit status (128 + N for signal N).
    Ctrl-C reaches the command from the terminal by itself: this process lets
    it wind down (make test's suites drop their databases) instead of dying
    first, so the containers go only after it. SIGTERM and SIGHUP are passed on."""
    def pass_on(signum, frame):
        child.send_signal(signum)

    def let_it_wind_down(signum, frame):
        pass

    previous = {signal.SIGINT: signal.signal(signal.SIGINT, let_it_wind_down)}
    try:
        try:
            child = subprocess.Popen(command)
        except OSError as exc:
            complain(f"cannot run {command[0]}: {exc}", fatal=True)
            return 127
        for signum in (signal.SIGTERM, signal.SIGHUP):
            previous[signum] = signal.signal(signum, pass_on)
        status = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
