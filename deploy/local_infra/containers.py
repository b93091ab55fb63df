"""The throwaway containers, as data: what engine.py asks a Docker engine for.

They stand in for what scripts/ensure_infra.sh makes of Debian's packages, so
they match it rather than docker-compose.yml where the two differ: PostgreSQL
trusts the `postgres` user without a password (the services' default URL) and
RabbitMQ's guest administrator is the broker account (make run creates every
process's own user with it, decision 0016). With docker-compose.yml they share
the images' major versions and RabbitMQ's settings
(tests/test_fresh_machine_containers.py holds them together).

Every port is published on 127.0.0.1 only: the trust and the guest login are
for this machine, never its network.
"""
from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field

# Present on every container CertTrack starts, so that a later run finds the
# ones a crashed run left (engine.remove_leftovers).
LABEL = "io.certtrack.throwaway"
LABEL_COMPONENT = "io.certtrack.component"
LABEL_OWNER_PID = "io.certtrack.owner-pid"
LABEL_OWNER_HOST = "io.certtrack.owner-host"

SECOND_NS = 1_000_000_000

# conf.d/90-certtrack.conf. The image's guest user may log in from loopback
# only, and a connection published from the host arrives from the bridge
# network, so guest must be let in (the port is bound to 127.0.0.1). The image
# turns off the management agent's statistics in favour of Prometheus; the
# tests read queue depths through the management API, as on Debian's node.
RABBITMQ_SETTINGS = {
    "loopback_users.guest": "false",
    "max_message_size": "16777216",
    "management_agent.disable_metrics_collector": "false",
}
# The management API makes each test run's vhost (nameko's fixtures); the
# Prometheus endpoint gives queue depths and consumers (deploy/prometheus/).
RABBITMQ_PLUGINS = ("rabbitmq_management", "rabbitmq_prometheus")


@dataclass(frozen=True)
class Owner:
    """The process that removes the containers when its command ends."""
    pid: int
    host: str


@dataclass(frozen=True)
class ContainerSpec:
    component: str
    image: str
    ports: dict[str, int]
    """Container port ("5432/tcp") to the port published on 127.0.0.1."""
    healthcheck: list[str]
    ready_within: float
    """Seconds from start to healthy, image already pulled."""
    environment: dict[str, str] = field(default_factory=dict)
    command: list[str] | None = None
    hostname: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    """Absolute path in the container to its text, copied in before it starts."""

    def name(self, owner: Owner) -> str:
        return f"certtrack-{self.component}-{owner.pid}"

    def labels(self, owner: Owner) -> dict[str, str]:
        return {LABEL: "1", LABEL_COMPONENT: self.component,
                LABEL_OWNER_PID: str(owner.pid), LABEL_OWNER_HOST: owner.host}

    def create_arguments(self, owner: Owner) -> dict:
        """Keyword arguments of the docker SDK's containers.create."""
        arguments = {
            "image": self.image,
            "name": self.name(owner),
            "labels": self.labels(owner),
            "ports": {inside: ("127.0.0.1", outside) for inside, outside in self.ports.items()},
            "environment": dict(self.environment),
            # Polled by engine.wait_healthy: a published port takes connections
            # (the engine's proxy) long before the server behind it does.
            "healthcheck": {"test": ["CMD", *self.healthcheck], "interval": 2 * SECOND_NS,
                            "timeout": 5 * SECOND_NS, "retries": 3,
                            "start_period": int(self.ready_within * SECOND_NS)},
            "detach": True,
        }
        if self.command is not None:
            arguments["command"] = list(self.command)
        if self.hostname is not None:
            arguments["hostname"] = self.hostname
        return arguments

    def files_archive(self) -> bytes:
        """self.files as the tar stream put_archive copies to "/"."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for path, text in sorted(self.files.items()):
                data = text.encode()
                member = tarfile.TarInfo(path.lstrip("/"))
                member.size = len(data)
                member.mode = 0o644
                archive.addfile(member, io.BytesIO(data))
        return buffer.getvalue()


def rabbitmq(amqp_port: int = 5672) -> ContainerSpec:
    conf = "".join(f"{key} = {value}\n" for key, value in RABBITMQ_SETTINGS.items())
    return ContainerSpec(
        component="rabbitmq",
        image="rabbitmq:3-management",
        ports={"5672/tcp": amqp_port, "15672/tcp": 15672, "15692/tcp": 15692},
        # Every listener up: AMQP, the management API and Prometheus.
        healthcheck=["rabbitmq-diagnostics", "-q", "check_port_connectivity"],
        ready_within=120,
        hostname="certtrack-rabbitmq",
        files={"/etc/rabbitmq/conf.d/90-certtrack.conf": conf,
               "/etc/rabbitmq/enabled_plugins": f"[{','.join(RABBITMQ_PLUGINS)}].\n"},
    )


def postgres() -> ContainerSpec:
    return ContainerSpec(
        component="postgres",
        image="postgres:15",
        ports={"5432/tcp": 5432},
        environment={"POSTGRES_HOST_AUTH_METHOD": "trust"},
        # Over TCP: while the image initialises the cluster its temporary server
        # listens on the socket only, and must not count as ready.
        healthcheck=["pg_isready", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres"],
        ready_within=60,
    )


def redis() -> ContainerSpec:
    return ContainerSpec(
        component="redis",
        image="redis:7",
        ports={"6379/tcp": 6379},
        # Ended sessions expire within hours: nothing to keep.
        command=["redis-server", "--save", "", "--appendonly", "no"],
        healthcheck=["redis-cli", "ping"],
        ready_within=30,
    )


def specs_for(components: list[str], amqp_port: int = 5672) -> list[ContainerSpec]:
    makers = {"rabbitmq": lambda: rabbitmq(amqp_port), "postgres": postgres, "redis": redis}
    return [makers[component]() for component in components]
