"""The only code that speaks to a Docker engine, through the docker SDK's
client: start the throwaway containers and wait until they are healthy,
remove them, and remove those a crashed run left behind.

The tests drive it with a fake client (tests/test_fresh_machine_containers.py):
no Docker engine exists on the machines CertTrack is developed and tested on.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping

from .choice import TITLES
from .containers import LABEL, LABEL_OWNER_HOST, LABEL_OWNER_PID, ContainerSpec, Owner

# Where an engine listens when DOCKER_HOST does not say: Linux and Docker
# Desktop's optional link, then Docker Desktop's own (macOS).
SOCKETS = ("/var/run/docker.sock", "~/.docker/run/docker.sock")


class EngineError(Exception):
    pass


def connect(env: Mapping[str, str], sockets: tuple[str, ...] = SOCKETS, timeout: int = 10):
    """A client of the Docker engine, or None when none answers. Without
    DOCKER_HOST or a socket the SDK is not even imported: `make run` pays
    nothing for it on a machine without an engine."""
    base_url = None
    if not env.get("DOCKER_HOST"):
        found = [os.path.expanduser(path) for path in sockets if os.path.exists(os.path.expanduser(path))]
        if not found:
            return None
        base_url = f"unix://{found[0]}"
    import docker
    import requests
    try:
        if base_url is None:  # DOCKER_HOST, with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH when set
            client = docker.from_env(environment=dict(env), timeout=timeout)
        else:
            client = docker.DockerClient(base_url=base_url, timeout=timeout)
        client.ping()
    except (docker.errors.DockerException, requests.RequestException, OSError):
        return None
    return client


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(client, owner: Owner, say: Callable[[str], None],
                     alive: Callable[[int], bool] = pid_alive) -> list[str]:
    """Remove the containers whose owner on this machine has ended without
    removing them (killed, or the machine slept through it). A live owner's
    are in use by its run; another machine's owner cannot be asked."""
    removed = []
    for container in client.containers.list(all=True, filters={"label": LABEL}):
        labels = container.labels
        if labels.get(LABEL_OWNER_HOST) != owner.host:
            continue
        pid = int(labels.get(LABEL_OWNER_PID) or 0)
        if pid and pid != owner.pid and alive(pid):
            continue
        say(f"removing {container.name}, left by a run (pid {pid}) that ended without removing it")
        try:
            container.remove(force=True, v=True)
        except Exception as exc:  # already going, or the engine refuses: the probes will tell
            say(f"could not remove {container.name}: {exc}")
        else:
            removed.append(container.name)
    return removed


def start(client, specs: list[ContainerSpec], owner: Owner, say: Callable[[str], None],
          sleep: Callable[[float], None] = time.sleep,
          clock: Callable[[], float] = time.monotonic) -> list:
    """Create and start every container, then wait until each is healthy. On
    any failure (or Ctrl-C) the ones already made are removed before raising."""
    started = []
    try:
        for spec in specs:
            pull_if_absent(client, spec.image, say)
            container = client.containers.create(**spec.create_arguments(owner))
            started.append(container)
            if spec.files:
                container.put_archive("/", spec.files_archive())
            container.start()
            published = ", ".join(str(port) for port in spec.ports.values())
            say(f"{TITLES[spec.component]}: throwaway container {container.name} ({spec.image}) "
                f"on 127.0.0.1:{published}")
        for spec, container in zip(specs, started):
            wait_healthy(container, spec, sleep, clock)
            say(f"{TITLES[spec.component]} ok in {container.name}")
    except BaseException:
        remove(started, say)
        raise
    return started


def pull_if_absent(client, image: str, say: Callable[[str], None]) -> None:
    from docker.errors import ImageNotFound
    try:
        client.images.get(image)
    except ImageNotFound:
        say(f"pulling {image} (once: the engine keeps it for the next run)")
        repository, _, tag = image.rpartition(":")
        client.images.pull(repository, tag=tag)


def wait_healthy(container, spec: ContainerSpec, sleep: Callable[[float], None],
                 clock: Callable[[], float]) -> None:
    deadline = clock() + spec.ready_within
    while True:
        container.reload()
        state = container.attrs.get("State") or {}
        health = (state.get("Health") or {}).get("Status")
        if health == "healthy":
            return
        if health == "unhealthy" or state.get("Status") in ("exited", "dead"):
            raise EngineError(f"{container.name} is {health or state.get('Status')}; "
                              f"its last lines:\n{last_lines(container)}")
        if clock() >= deadline:
            raise EngineError(f"{container.name} is not healthy after {spec.ready_within:.0f}s; "
                              f"its last lines:\n{last_lines(container)}")
        sleep(1)


def last_lines(container) -> str:
    return container.logs(tail=20).decode("utf-8", errors="replace").rstrip()


def remove(containers: list, say: Callable[[str], None]) -> None:
    """Remove each container with the anonymous volumes its image declares
    (PostgreSQL's and RabbitMQ's data), which would otherwise pile up. One
    that cannot be removed now is a later run's leftover to remove."""
    for container in containers:
        try:
            container.remove(force=True, v=True)
        except Exception as exc:  # the engine may be gone; the others still go
            say(f"could not remove {container.name} ({exc}); the next make run or make test removes it")
        else:
            say(f"removed {container.name}")
