"""`make run` supervises its children (deploy/run_stack.py, deploy/supervision.py).

The rules first, as plain objects; then run_stack's own supervision and
signal handling (tests/run_stack_driver.py) in a process of its own, on small
real processes standing in for the services: they crash, are killed with
SIGKILL, leave workers behind, and the console and exit code say what a
developer would see. Back-off values are a fraction of a second here.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.harness.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent
DRIVER = Path(__file__).resolve().parent / "run_stack_driver.py"


def load_deploy_module(name: str):
    """deploy/<name>.py as the module `name` (run_stack imports supervision by that name)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "deploy" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


supervision = load_deploy_module("supervision")

FAST_RESTARTS = {
    "RESTART_FIRST_DELAY": "0.2",
    "RESTART_MAX_DELAY": "0.8",
    "RESTART_STABLE_AFTER": "5",
    "RESTART_START_GRACE": "2",
    "RESTART_GIVE_UP_AFTER": "3",
}

# ---------------------------------------------------------------- the rules


def test_backoff_doubles_up_to_the_cap():
    record = supervision.RestartRecord(supervision.RestartPolicy())
    delays = [record.exited(uptime=15) for _ in range(8)]
    assert delays == [1, 2, 4, 8, 16, 30, 30, 30]


def test_backoff_starts_again_once_the_child_stayed_up():
    record = supervision.RestartRecord(supervision.RestartPolicy())
    assert [record.exited(uptime=15) for _ in range(3)] == [1, 2, 4]
    assert record.exited(uptime=61) == 1
    assert record.exited(uptime=15) == 2


def test_five_quick_exits_in_a_row_give_up():
    record = supervision.RestartRecord(supervision.RestartPolicy())
    assert [record.exited(uptime=0.5) for _ in range(4)] == [1, 2, 4, 8]
    assert record.exited(uptime=0.5) is None


def test_a_run_past_the_start_grace_counts_the_quick_exits_again():
    record = supervision.RestartRecord(supervision.RestartPolicy())
    for _ in range(4):
        record.exited(uptime=0.5)
    assert record.exited(uptime=12) == 16  # up past 10 s: started fine, crashed later
    assert all(record.exited(uptime=0.5) is not None for _ in range(4))
    assert record.exited(uptime=0.5) is None


def test_a_service_that_crashes_every_minute_is_never_given_up():
    record = supervision.RestartRecord(supervision.RestartPolicy())
    assert all(record.exited(uptime=30) is not None for _ in range(100))


def test_restart_rules_come_from_the_environment():
    policy = supervision.RestartPolicy.from_env(FAST_RESTARTS)
    assert policy == supervision.RestartPolicy(0.2, 0.8, 5, 2, 3)
    with pytest.raises(ValueError, match="RESTART_MAX_DELAY"):
        supervision.RestartPolicy.from_env({"RESTART_MAX_DELAY": "soon"})


def test_every_line_a_child_writes_reaches_its_log_and_the_console_whole_and_in_order(
        tmp_path, capsys):
    # Thousands of lines at once (a busy service logs one per message), a line
    # written in two parts a moment apart, and a last line with no end.
    code = ("import sys, time\n"
            "out = sys.stdout.buffer\n"
            "out.write(b''.join(b'line %d\\n' % i for i in range(20000))); out.flush()\n"
            "out.write(b'split '); out.flush(); time.sleep(0.3)\n"
            "out.write(b'across writes\\nlast without an end'); out.flush()\n")
    child = supervision.Child(supervision.Component("talker", [sys.executable, "-c", code]),
                              dict(os.environ), tmp_path, tmp_path, supervision.RestartPolicy())
    child.proc.wait(timeout=30)
    child.pump.join(timeout=30)
    child.close()
    expected = [f"line {i}" for i in range(20000)] + ["split across writes", "last without an end"]
    assert (tmp_path / "talker.log").read_text().splitlines() == expected
    shown = [line.split("| ", 1)[1] for line in capsys.readouterr().out.splitlines()
             if line.startswith("talker ")]
    assert shown == expected


def test_exit_is_described_by_code_or_signal():
    assert supervision.describe_exit(3) == "exit code 3"
    assert supervision.describe_exit(-9) == "killed by SIGKILL"


# ------------------------------------------------------- stand-in components

READYZ_SERVER = """
import http.server, os, sys
class Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/readyz" else 404)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Ready)
print("serving /readyz, pid", os.getpid())
server.serve_forever()
"""

SLEEPER = """
import os, time
print("up, pid", os.getpid())
time.sleep(3600)
"""

# Starts number N (counted in the file argv[2]) fail while N <= argv[3], then serve /readyz.
CRASHES_THEN_SERVES = """
import pathlib, sys
counter = pathlib.Path(sys.argv[2])
run = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(run))
if run <= int(sys.argv[3]):
    print(f"boom {run}: cannot start")
    sys.exit(3)
""" + READYZ_SERVER

ALWAYS_FAILS = """
import sys
print("cannot open /etc/certtrack/broken.conf")
sys.exit(2)
"""

# The first run stays up until it is killed; every later one fails at once.
UP_ONCE = """
import os, pathlib, sys, time
marker = pathlib.Path(sys.argv[1])
if marker.exists():
    print("database gone: cannot start")
    sys.exit(5)
marker.touch()
print("up, pid", os.getpid())
time.sleep(3600)
"""

# Like a gunicorn master: its worker (same process group) holds the port
# argv[2]. The first run leaves that worker behind and dies; a later run binds
# the port itself and serves /readyz on argv[1], or fails if the port is taken.
MASTER_WITH_WORKER = """
import os, pathlib, socket, subprocess, sys, time
port, marker = int(sys.argv[2]), pathlib.Path(sys.argv[3])
if not marker.exists():
    marker.touch()
    worker = subprocess.Popen([sys.executable, "-c",
        "import os, socket, sys, time\\n"
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\\n"
        "s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen()\\n"
        "print('worker listening, pid', os.getpid(), flush=True); time.sleep(3600)", str(port)])
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    print("master dies, worker", worker.pid, "left behind")
    os._exit(1)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", port))
except OSError:
    print("port taken")
    sys.exit(4)
""" + READYZ_SERVER


READY_PORT = "{ready_port}"  # in a component's arguments: the port run_stack asks /readyz on


def component(name: str, code: str, *args: object, oneshot: bool = False, service: bool = False) -> dict:
    return {"name": name, "code": code, "args": [str(a) for a in args], "oneshot": oneshot,
            "service": service}


def alive(pid: int) -> bool:
    """A process that runs (a zombie does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class RunStack:
    """run_stack's supervision in its own process, its console in a file."""

    def __init__(self, folder: Path, components: list[dict], after_ready: list[dict] = (),
                 ready_timeout: float = 20, env: dict[str, str] | None = None) -> None:
        self.env = env or {}
        self.port = free_port()
        self.folder = folder
        self.log_dir = folder / "log"
        self.console_path = folder / "console.txt"
        self.spec = json.loads(json.dumps({
            "port": self.port, "ready_timeout": ready_timeout,
            "components": components, "after_ready": list(after_ready),
        }).replace(READY_PORT, str(self.port)))
        self.process: subprocess.Popen | None = None

    def start(self) -> RunStack:
        env = dict(os.environ, CERTTRACK_ENV="test", LOG_DIR=str(self.log_dir), NO_COLOR="1", **FAST_RESTARTS)
        env.pop("REPLICAS", None)
        env.update(self.env)
        with self.console_path.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(DRIVER), json.dumps(self.spec)], cwd=ROOT, env=env,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        return self

    def console(self) -> str:
        return self.console_path.read_text(errors="replace")

    def wait_for(self, pattern: str, count: int = 1, timeout: float = 15) -> list[re.Match]:
        """The first `count` console matches of the pattern, once there are that many."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = list(re.finditer(pattern, self.console(), re.MULTILINE))
            if len(found) >= count:
                return found[:count]
            time.sleep(0.05)
        raise AssertionError(f"{count} x {pattern!r} not in the console after {timeout}s:\n"
                             f"{self.console()}")

    def pids(self, name: str) -> list[int]:
        """Every PID the console reports for the child `name`, in order."""
        return [int(m.group(1)) for m in re.finditer(
            rf"(?:started|restarted) {re.escape(name)} \((?:restart \d+, )?pid (\d+)\)",
            self.console())]

    def all_pids(self) -> list[int]:
        return [int(p) for p in re.findall(r"pid (\d+)\)", self.console())]

    def ready(self, timeout: float = 15) -> None:
        self.wait_for(r"CertTrack is up", timeout=timeout)

    def exit_code(self, timeout: float = 20) -> int:
        return self.process.wait(timeout)

    def send(self, sig: int) -> int:
        self.process.send_signal(sig)
        return self.exit_code()

    def kill_everything(self) -> None:
        """After a failed test: nothing it started survives."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in self.all_pids():
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


@pytest.fixture
def run_stack(tmp_path):
    started: list[RunStack] = []

    def make(*components: dict, after_ready: list[dict] = (), ready_timeout: float = 20,
             env: dict[str, str] | None = None) -> RunStack:
        stack = RunStack(tmp_path / uuid.uuid4().hex[:8], list(components), after_ready, ready_timeout, env)
        stack.folder.mkdir()
        started.append(stack.start())
        return stack

    yield make
    for stack in started:
        stack.kill_everything()


# ------------------------------------------------------------- supervision


def test_service_that_crashes_twice_at_start_is_restarted_and_the_site_comes_up(run_stack, tmp_path):
    stack = run_stack(component("flaky", CRASHES_THEN_SERVES, READY_PORT, tmp_path / "runs", 2))
    stack.ready()
    out = stack.console()
    assert "flaky exited unexpectedly (exit code 3" in out
    assert "restarting flaky in 0.2s" in out and "restarting flaky in 0.4s" in out
    assert "    boom 1: cannot start" in out  # the last lines of its log, on the console
    assert len(stack.pids("flaky")) == 3
    log = (stack.log_dir / "flaky.log").read_text()
    assert re.search(r"boom 1.*restart 1 of flaky.*boom 2.*restart 2 of flaky.*serving /readyz",
                     log, re.DOTALL), log
    assert stack.send(signal.SIGINT) == 0


def test_service_that_always_fails_at_start_stops_everything_with_exit_1(run_stack):
    stack = run_stack(component("steady", SLEEPER), component("broken", ALWAYS_FAILS))
    assert stack.exit_code() == 1
    out = stack.console()
    assert "CertTrack is up" not in out
    assert ("broken keeps failing at start: it exited 3 times in a row within 2s of starting "
            "(last: exit code 2)") in out
    assert "    cannot open /etc/certtrack/broken.conf" in out
    assert re.match(r"run_stack +\| !!! stopped because broken keeps failing", out.splitlines()[-1])
    assert len(stack.pids("broken")) == 3
    assert not alive(stack.pids("steady")[0])


def test_killed_service_is_restarted_with_a_new_pid_while_the_others_keep_theirs(run_stack):
    stack = run_stack(component("web", READYZ_SERVER, READY_PORT),
                      component("exams", SLEEPER), component("certs", SLEEPER))
    stack.ready()
    [web], [exams], [certs] = stack.pids("web"), stack.pids("exams"), stack.pids("certs")
    os.kill(exams, signal.SIGKILL)
    stack.wait_for(r"restarted exams \(restart 1, pid \d+\)")
    stack.wait_for(r"^exams +\| up, pid", count=2)
    assert "exams exited unexpectedly (killed by SIGKILL" in stack.console()
    new_exams = stack.pids("exams")[1]
    assert new_exams != exams and alive(new_exams) and not alive(exams)
    assert stack.pids("web") == [web] and stack.pids("certs") == [certs]
    assert alive(web) and alive(certs)
    log = (stack.log_dir / "exams.log").read_text()
    assert log.count("up, pid") == 2 and "restart 1 of exams" in log
    assert stack.send(signal.SIGINT) == 0
    assert not any(alive(pid) for pid in (web, new_exams, certs))


def test_replicas_run_as_processes_of_their_own_each_restarted_alone(run_stack):
    """REPLICAS=2: two processes of each service, as two pods, the second started once the
    site is up; one killed is restarted, its sibling keeps running, and each has its own
    console prefix and log."""
    stack = run_stack(component("web", READYZ_SERVER, READY_PORT), component("certs", SLEEPER, service=True),
                      env={"REPLICAS": "2"})
    stack.wait_for(r"^certs-2 +\| up, pid")
    assert stack.console().index("started certs-1") < stack.console().index("CertTrack is up") \
        < stack.console().index("started certs-2")
    [first], [second] = stack.pids("certs-1"), stack.pids("certs-2")
    assert stack.pids("certs") == [] and len(stack.pids("web")) == 1  # the site stays one process
    os.kill(second, signal.SIGKILL)
    stack.wait_for(r"restarted certs-2 \(restart 1, pid \d+\)")
    stack.wait_for(r"^certs-2 +\| up, pid", count=2)
    assert stack.pids("certs-1") == [first] and alive(first)
    assert alive(stack.pids("certs-2")[1]) and not alive(second)
    assert (stack.log_dir / "certs-1.log").read_text().count("up, pid") == 1
    assert (stack.log_dir / "certs-2.log").read_text().count("up, pid") == 2
    assert stack.send(signal.SIGINT) == 0


@pytest.mark.parametrize("replicas", ["0", "9", "two"])
def test_a_replica_count_out_of_range_is_refused_with_its_reason(replicas):
    run_stack = load_deploy_module("run_stack")
    with pytest.raises(ValueError, match="REPLICAS must be"):
        run_stack.replica_count({"REPLICAS": replicas})
    assert run_stack.replica_count({}) == 1 and run_stack.replica_count({"REPLICAS": "3"}) == 3


def test_service_that_cannot_come_back_after_a_crash_stops_the_stack_with_exit_1(run_stack, tmp_path):
    stack = run_stack(component("web", READYZ_SERVER, READY_PORT),
                      component("exams", UP_ONCE, tmp_path / "was-up"))
    stack.ready()
    os.kill(stack.pids("exams")[0], signal.SIGKILL)
    assert stack.exit_code() == 1
    out = stack.console()
    assert "exams keeps failing at start: it exited 3 times in a row" in out
    assert "    database gone: cannot start" in out
    assert not alive(stack.pids("web")[0])


def test_leftover_workers_of_a_dead_child_are_killed_before_it_starts_again(run_stack, tmp_path):
    worker_port = free_port()
    stack = run_stack(component("gateway", MASTER_WITH_WORKER, READY_PORT, worker_port,
                                tmp_path / "started-once"))
    stack.ready()
    out = stack.console()
    worker = int(re.search(r"worker listening, pid (\d+)", out).group(1))
    assert not re.search(r"^gateway +\| port taken", out, re.MULTILINE)
    assert not alive(worker)
    assert stack.send(signal.SIGINT) == 0


def test_failed_one_shot_is_reported_and_the_site_keeps_running(run_stack):
    stack = run_stack(component("web", READYZ_SERVER, READY_PORT),
                      after_ready=[component("demo-loader", ALWAYS_FAILS, oneshot=True),
                                   component("staff-account", "print('created')", oneshot=True)])
    stack.ready()
    stack.wait_for(r"demo-loader failed \(exit code 2 after [\d.]+s\); not run again")
    stack.wait_for(r"staff-account finished")
    time.sleep(1)  # several supervision rounds: neither is started again, nothing stops
    assert stack.process.poll() is None
    assert len(stack.pids("demo-loader")) == 1 and len(stack.pids("staff-account")) == 1
    assert stack.send(signal.SIGINT) == 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_ctrl_c_or_sigterm_stops_every_child_with_exit_0(run_stack, sig):
    stack = run_stack(component("web", READYZ_SERVER, READY_PORT), component("exams", SLEEPER))
    stack.ready()
    children = stack.all_pids()
    assert len(children) == 2 and all(alive(pid) for pid in children)
    assert stack.send(sig) == 0
    assert f"{sig.name} received: stopping" in stack.console()
    assert not any(alive(pid) for pid in children)


# ------------------------------------------------------------ metrics ports


def test_each_process_gets_the_metrics_port_the_local_prometheus_scrapes():
    import yaml

    run_stack = load_deploy_module("run_stack")
    base = run_stack.metrics_port_base({})
    services = ["identity", "exams", "certs", "fulfillment", "transcripts"]
    one = {c.name: c.env["METRICS_PORT"]
           for c in run_stack.scale([supervision.Component(n, ["true"]) for n in services], 1, base)[0]}
    gateway = run_stack.replica_env(supervision.Component("gateway", ["true"]), 1, base)["METRICS_PORT"]
    scraped = yaml.safe_load((ROOT / "deploy/prometheus/prometheus-local.yml").read_text())
    targets = {job["job_name"]: [t for c in job["static_configs"] for t in c["targets"]]
               for job in scraped["scrape_configs"]}
    assert targets["certtrack-gateway"] == [f"127.0.0.1:{gateway}"]
    assert sorted(targets["certtrack-services"]) == sorted(f"127.0.0.1:{port}" for port in one.values())

    first, later = run_stack.scale([supervision.Component("certs", ["true"])], 3, base)
    ports = [c.env["METRICS_PORT"] for c in first + later]
    assert len(set(ports)) == 3 and ports[0] == one["certs"]  # replicas never share one
    assert all("METRICS_PORT" not in c.env for c in run_stack.scale(
        [supervision.Component("certs", ["true"])], 2, run_stack.metrics_port_base({"METRICS_PORT_BASE": "off"}))[0])


@pytest.mark.parametrize("base", ["80", "65535", "nine"])
def test_a_metrics_port_base_that_cannot_be_is_refused_with_its_reason(base):
    run_stack = load_deploy_module("run_stack")
    with pytest.raises(ValueError, match="METRICS_PORT_BASE must be"):
        run_stack.metrics_port_base({"METRICS_PORT_BASE": base})


def test_a_taken_metrics_port_stops_make_run_before_it_starts_anything():
    import socket

    run_stack = load_deploy_module("run_stack")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        base = port - run_stack.METRICS_OFFSETS["certs"] - 10  # certs' second replica
        ports = run_stack.metrics_ports(base, ["gateway", "certs", "exams"], 2)
        assert ports[port] == "certs-2"
        # Only the port this test holds: the others of the range are random ports that
        # the suite running beside this one may hold at this moment.
        problem = run_stack.preflight(free_port(), {"AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/"},
                                      None, metrics={port: ports[port]})
    assert problem == (f"port {port} (certs-2's metrics) is taken; set METRICS_PORT_BASE to another "
                       "first port, or to off for no metrics")
