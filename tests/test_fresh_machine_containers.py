"""The throwaway containers of a machine with only a Docker engine
(deploy/local_infra, decision 0032), tried without an engine: the specs as
data, as the docker SDK turns them into the Engine API's request, against
docker-compose.yml, and the start, wait, run and removal driven against a fake
client standing in for the SDK's."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import tarfile
from pathlib import Path

import docker
import pytest
import yaml
from docker.errors import APIError, ImageNotFound

from deploy.local_infra import __main__ as entry
from deploy.local_infra import engine
from deploy.local_infra.choice import Facts, choose
from deploy.local_infra.containers import LABEL, Owner, specs_for

ROOT = Path(__file__).resolve().parents[1]
OWNER = Owner(pid=4242, host="laptop")
ALL = ["rabbitmq", "postgres", "redis"]


# ---------------------------------------------------------------- the fake SDK
class FakeContainer:
    def __init__(self, engine_, arguments, health):
        self.engine = engine_
        self.arguments = arguments
        self.name = arguments["name"]
        self.labels = arguments["labels"]
        self.attrs = {"State": {"Status": "created"}}
        self.health = list(health)  # what each reload() after start reports
        self.files: dict[str, tuple[str, int]] = {}

    def put_archive(self, path, data):
        assert self.attrs["State"]["Status"] == "created", "files must be there before the server starts"
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            for member in archive.getmembers():
                text = archive.extractfile(member).read().decode()
                self.files[str(Path(path) / member.name)] = (text, member.mode)
        return True

    def start(self):
        self.engine.log.append(("start", self.name))
        self.attrs["State"] = {"Status": "running", "Health": {"Status": "starting"}}

    def reload(self):
        if self.health:
            self.attrs["State"]["Health"]["Status"] = self.health.pop(0)

    def logs(self, tail):
        return f"last {tail} lines of {self.name}\n".encode()

    def remove(self, force=False, v=False):
        self.engine.log.append(("remove", self.name, force, v))
        self.engine.running.pop(self.name, None)


class FakeContainers:
    def __init__(self, engine_):
        self.engine = engine_

    def create(self, image, **arguments):
        arguments["image"] = image
        component = arguments["labels"]["io.certtrack.component"]
        if component in self.engine.refuse:
            raise APIError(f"port is already allocated ({component})")
        container = FakeContainer(self.engine, arguments, self.engine.health.get(component, ["healthy"]))
        self.engine.log.append(("create", container.name))
        self.engine.running[container.name] = container
        return container

    def list(self, all=False, filters=None):
        assert filters == {"label": LABEL} and all
        return [c for c in self.engine.running.values() if LABEL in c.labels]


class FakeImages:
    def __init__(self, engine_):
        self.engine = engine_

    def get(self, image):
        if image not in self.engine.present:
            raise ImageNotFound(image)

    def pull(self, repository, tag):
        self.engine.log.append(("pull", f"{repository}:{tag}"))
        self.engine.present.add(f"{repository}:{tag}")


class FakeDockerClient:
    def __init__(self, images=(), health=None, refuse=()):
        self.present = set(images)
        self.images = FakeImages(self)
        self.containers = FakeContainers(self)
        self.health = health or {}
        self.refuse = set(refuse)
        self.running: dict[str, FakeContainer] = {}
        self.log: list[tuple] = []


def no_sleep(seconds):
    pass


# ---------------------------------------------------------------- the specs
def test_every_port_is_published_on_loopback_only_as_the_engine_is_asked():
    """The docker SDK itself turns each spec into the Engine API's create
    request; only its HTTP call is replaced."""
    client = docker.DockerClient(base_url="unix:///nonexistent/docker.sock", version="1.43")
    sent = []
    client.api.create_container_from_config = lambda config, name=None, platform=None: (
        sent.append((name, config)) or {"Id": name})
    client.api.inspect_container = lambda container_id: {"Id": container_id}
    for spec in specs_for(ALL):
        client.containers.create(**spec.create_arguments(OWNER))
    by_name = dict(sent)
    assert set(by_name) == {"certtrack-rabbitmq-4242", "certtrack-postgres-4242", "certtrack-redis-4242"}
    published = {port: bindings for _, config in sent for port, bindings in config["HostConfig"]["PortBindings"].items()}
    assert published == {
        "5672/tcp": [{"HostIp": "127.0.0.1", "HostPort": "5672"}],
        "15672/tcp": [{"HostIp": "127.0.0.1", "HostPort": "15672"}],
        "15692/tcp": [{"HostIp": "127.0.0.1", "HostPort": "15692"}],
        "5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "5432"}],
        "6379/tcp": [{"HostIp": "127.0.0.1", "HostPort": "6379"}],
    }
    postgres = by_name["certtrack-postgres-4242"]
    assert postgres["Image"] == "postgres:15" and postgres["Env"] == ["POSTGRES_HOST_AUTH_METHOD=trust"]
    assert postgres["Healthcheck"]["Test"][:2] == ["CMD", "pg_isready"] and "127.0.0.1" in postgres["Healthcheck"]["Test"]
    for _, config in sent:
        assert config["Labels"]["io.certtrack.throwaway"] == "1"
        assert config["Labels"]["io.certtrack.owner-pid"] == "4242"
        assert config["Labels"]["io.certtrack.owner-host"] == "laptop"
        assert config["Healthcheck"]["Interval"] == 2_000_000_000


def test_a_broker_on_another_local_port_is_published_there():
    (spec,) = specs_for(["rabbitmq"], amqp_port=5673)
    assert spec.create_arguments(OWNER)["ports"]["5672/tcp"] == ("127.0.0.1", 5673)


def test_rabbitmq_lets_guest_in_from_the_host_and_enables_both_plugins():
    (spec,) = specs_for(["rabbitmq"])
    with tarfile.open(fileobj=io.BytesIO(spec.files_archive())) as archive:
        files = {m.name: (archive.extractfile(m).read().decode(), m.mode) for m in archive.getmembers()}
    conf, mode = files["etc/rabbitmq/conf.d/90-certtrack.conf"]
    assert "loopback_users.guest = false\n" in conf and mode == 0o644
    assert files["etc/rabbitmq/enabled_plugins"][0] == "[rabbitmq_management,rabbitmq_prometheus].\n"


COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def image_and_major(image: str) -> tuple[str, str]:
    repository, _, tag = image.partition(":")
    return repository, tag.split(".")[0].split("-")[0]


@pytest.mark.parametrize("component,service", [("rabbitmq", "rabbitmq"), ("postgres", "postgres"), ("redis", "redis")])
def test_images_share_docker_compose_repository_and_major_version(component, service):
    (spec,) = specs_for([component])
    assert image_and_major(spec.image) == image_and_major(COMPOSE["services"][service]["image"])


def test_rabbitmq_and_redis_run_as_docker_compose_runs_them():
    rabbitmq, _, redis = specs_for(ALL)
    compose_conf = dict(
        line.split(" = ", 1) for line in COMPOSE["configs"]["rabbitmq-conf"]["content"].splitlines()
        if " = " in line and not line.lstrip().startswith("#"))
    # Compose loads definitions with per-process users at boot; make run
    # creates them itself, as on Debian's node, so only that line differs.
    compose_conf.pop("load_definitions")
    ours = rabbitmq.files["/etc/rabbitmq/conf.d/90-certtrack.conf"]
    for key, value in compose_conf.items():
        assert f"{key} = {value}\n" in ours
    assert rabbitmq.healthcheck == COMPOSE["services"]["rabbitmq"]["healthcheck"]["test"][1:]
    assert redis.command == COMPOSE["services"]["redis"]["command"]
    assert redis.healthcheck == COMPOSE["services"]["redis"]["healthcheck"]["test"][1:]
    for service in ("rabbitmq", "mailpit"):
        assert all(port.startswith("127.0.0.1:") for port in COMPOSE["services"][service]["ports"])


# ---------------------------------------------------------------- the engine
def command_writing(path: Path, status: int) -> list[str]:
    return [sys.executable, "-c", f"open({str(path)!r}, 'w').write('ran'); raise SystemExit({status})"]


def test_containers_are_healthy_before_the_command_and_removed_after_it_whatever_its_result(tmp_path, capsys):
    client = FakeDockerClient(images={"redis:7"}, health={"rabbitmq": ["starting", "starting", "healthy"]})
    marker = tmp_path / "ran"
    status = entry.hold(client, specs_for(ALL), OWNER, command_writing(marker, 3), sleep=no_sleep)
    assert status == 3 and marker.read_text() == "ran"
    assert ("pull", "rabbitmq:3-management") in client.log and ("pull", "postgres:15") in client.log
    assert not any(event == ("pull", "redis:7") for event in client.log)
    assert client.running == {}
    removals = [event for event in client.log if event[0] == "remove"]
    assert {(name, force, volumes) for _, name, force, volumes in removals} == {
        (f"certtrack-{c}-4242", True, True) for c in ALL}
    assert "RabbitMQ ok in certtrack-rabbitmq-4242" in capsys.readouterr().out


def test_rabbitmq_gets_its_files_before_it_starts():
    client = FakeDockerClient()
    entry.hold(client, specs_for(["rabbitmq"]), OWNER, [sys.executable, "-c", "pass"])
    assert ("start", "certtrack-rabbitmq-4242") in client.log  # put_archive asserted it came first


def test_a_command_killed_by_a_signal_still_removes_the_containers():
    client = FakeDockerClient()
    status = entry.hold(client, specs_for(["redis"]), OWNER,
                        [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"])
    assert status == 128 + 15 and client.running == {}


def test_a_command_that_cannot_start_still_removes_the_containers(tmp_path):
    client = FakeDockerClient()
    assert entry.hold(client, specs_for(["redis"]), OWNER, [str(tmp_path / "no-such-command")]) == 127
    assert client.running == {}


def test_an_unhealthy_container_stops_the_run_with_its_log_and_none_is_left(tmp_path, capsys):
    client = FakeDockerClient(health={"postgres": ["starting", "unhealthy"]})
    marker = tmp_path / "ran"
    assert entry.hold(client, specs_for(ALL), OWNER, command_writing(marker, 0), sleep=no_sleep) == 1
    assert not marker.exists() and client.running == {}
    err = capsys.readouterr().err
    assert "certtrack-postgres-4242 is unhealthy" in err and "last 20 lines of certtrack-postgres-4242" in err


def test_a_port_the_engine_refuses_stops_the_run_and_removes_those_already_made(tmp_path, capsys):
    client = FakeDockerClient(refuse={"redis"})
    assert entry.hold(client, specs_for(ALL), OWNER, command_writing(tmp_path / "ran", 0)) == 1
    assert client.running == {} and "port is already allocated" in capsys.readouterr().err


def test_a_container_never_healthy_is_given_up_after_its_time():
    client = FakeDockerClient(health={"redis": ["starting"] * 1000})
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    (spec,) = specs_for(["redis"])
    with pytest.raises(engine.EngineError, match="not healthy after 30s"):
        engine.start(client, [spec], OWNER, say=print, sleep=sleep, clock=lambda: now[0])
    assert client.running == {} and now[0] == pytest.approx(30, abs=1)


def test_leftovers_of_an_ended_run_on_this_machine_are_removed_and_others_kept():
    client = FakeDockerClient()
    for pid, host in [(111, "laptop"), (222, "laptop"), (333, "other-machine")]:
        client.containers.create(**specs_for(["redis"])[0].create_arguments(Owner(pid, host)))
    removed = engine.remove_leftovers(client, OWNER, say=print, alive=lambda pid: pid == 222)
    assert removed == ["certtrack-redis-111"]
    assert set(client.running) == {"certtrack-redis-222", "certtrack-redis-333"}


def test_a_leftover_the_engine_will_not_remove_does_not_stop_the_run(capsys):
    client = FakeDockerClient()
    stuck = client.containers.create(**specs_for(["redis"])[0].create_arguments(Owner(111, "laptop")))

    def refuse(force=False, v=False):
        raise APIError("removal of container certtrack-redis-111 is already in progress")

    stuck.remove = refuse
    assert engine.remove_leftovers(client, OWNER, say=print, alive=lambda pid: False) == []
    assert "could not remove certtrack-redis-111" in capsys.readouterr().out


def test_a_laptop_with_only_an_engine_runs_the_command_among_containers(tmp_path, capsys):
    """The wiring from the choice on: Debian's script is asked only for the
    tools, the three servers come up as containers around the command."""
    choices = choose(Facts(answering=frozenset(), apt=False, root=False, engine=True, strict=True))
    client = FakeDockerClient()
    assert entry.provide(choices, client, OWNER, command_writing(tmp_path / "ran", 0)) == 0
    assert [event[1] for event in client.log if event[0] == "create"] == [f"certtrack-{c}-4242" for c in ALL]
    assert client.running == {}
    assert "RabbitMQ ok at" not in capsys.readouterr().out  # the script saw no server


def test_make_infra_alone_starts_no_container(capsys):
    choices = choose(Facts(answering=frozenset({"rabbitmq", "postgres"}), apt=False, root=False, engine=True))
    client = FakeDockerClient()
    assert entry.provide(choices, client, OWNER, command=[]) == 0
    assert client.log == [] and "Redis would run as a throwaway container" in capsys.readouterr().out


def test_without_an_engine_socket_the_sdk_is_not_asked(tmp_path):
    assert engine.connect({}, sockets=(str(tmp_path / "docker.sock"),)) is None


def test_an_engine_address_that_does_not_answer_counts_as_no_engine(tmp_path):
    assert engine.connect({"DOCKER_HOST": f"unix://{tmp_path}/docker.sock"}, timeout=2) is None


# ---------------------------------------------------------------- the entry point on this machine
CHILD = """
import signal, sys
def stop(signum, frame):
    print("child stopped by", signum, flush=True)
    sys.exit(7)
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
signal.pause()
"""


def start_entry(*command: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "STRICT")}
    return subprocess.Popen([sys.executable, "-X", "importtime", "-m", "deploy.local_infra", "--", *command],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def test_where_everything_answers_the_command_runs_without_the_docker_sdk():
    """This machine's path (Debian, every server up): make run's every-time check."""
    entry_process = start_entry(sys.executable, "-c", "raise SystemExit(4)")
    out, err = entry_process.communicate(timeout=60)
    assert entry_process.returncode == 4
    assert "infra: RabbitMQ ok at" in out and "infra: PostgreSQL ok at" in out
    imported = {line.rsplit("|", 1)[-1].strip() for line in err.splitlines() if line.startswith("import time:")}
    assert "deploy.local_infra.engine" in imported and "docker" not in imported


@pytest.mark.parametrize("how", ["ctrl-c to the terminal's process group", "sigterm to make's child"])
def test_the_command_winds_down_before_the_entry_point_ends(how):
    """Ctrl-C reaches the whole process group: the entry point waits for the
    command's teardown instead of dying first; a SIGTERM is passed on."""
    entry_process = start_entry(sys.executable, "-c", CHILD)
    line = ""
    while line != "ready\n":
        line = entry_process.stdout.readline()
        assert line, entry_process.stderr.read()
    if how.startswith("ctrl-c"):
        os.killpg(entry_process.pid, signal.SIGINT)
        expected = signal.SIGINT
    else:
        entry_process.send_signal(signal.SIGTERM)
        expected = signal.SIGTERM
    out, _ = entry_process.communicate(timeout=30)
    assert f"child stopped by {int(expected)}" in out
    assert entry_process.returncode == 7
