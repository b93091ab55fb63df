"""The supervision behind deploy/run_stack.py: start children, restart the ones
that exit, and know when to give up.

A long-running child that exits is restarted after a back-off delay that
doubles from RestartPolicy.first_delay up to max_delay, and starts again from
first_delay once a run lasted stable_after. A child that exits give_up_after
times in a row, each time within start_grace of starting, keeps failing at
start: the supervisor says which and why and requests the stop. A one-shot
child (oneshot=True) is never restarted: exit 0 is its success, any other exit
is reported and leaves the rest running.

Each child runs in its own session (process group): Ctrl-C on the terminal
reaches only run_stack, and a dead child's leftover workers (gunicorn's) are
killed with its group before it starts again, so its ports are free.

Standard library only, like run_stack. The rules (RestartPolicy, RestartRecord,
describe_exit) are plain and need no process to test.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

STOP_GRACE_SECONDS = 10
REAP_TIMEOUT_SECONDS = 5
TAIL_LINES = 30
# What one read of a child's output may take: every line that is there, in practice.
PUMP_BLOCK_BYTES = 1 << 16


@dataclass
class Component:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)  # on top of the base env
    oneshot: bool = False  # runs to completion; exit 0 is not a failure


# ------------------------------------------------------------------- rules


@dataclass(frozen=True)
class RestartPolicy:
    first_delay: float = 1.0  # seconds before the first restart
    max_delay: float = 30.0  # the delay doubles up to this
    stable_after: float = 60.0  # a run this long starts the back-off again from first_delay
    start_grace: float = 10.0  # an exit sooner than this after starting is a failure at start
    give_up_after: int = 5  # failures at start in a row that stop the stack

    ENV = {
        "RESTART_FIRST_DELAY": "first_delay",
        "RESTART_MAX_DELAY": "max_delay",
        "RESTART_STABLE_AFTER": "stable_after",
        "RESTART_START_GRACE": "start_grace",
        "RESTART_GIVE_UP_AFTER": "give_up_after",
    }

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RestartPolicy:
        """The defaults, with any RESTART_* variable of env (seconds, or a count)."""
        values: dict[str, float | int] = {}
        for var, attr in cls.ENV.items():
            if not env.get(var):
                continue
            kind = int if attr == "give_up_after" else float
            try:
                values[attr] = kind(env[var])
            except ValueError:
                raise ValueError(f"{var} must be a number, not {env[var]!r}") from None
        return cls(**values)

    def delay(self, failures: int) -> float:
        """Seconds before the restart that follows the n-th exit since the child was stable."""
        return min(self.max_delay, self.first_delay * 2 ** min(max(failures - 1, 0), 32))


class RestartRecord:
    """One child's exits so far, and what follows the next one."""

    def __init__(self, policy: RestartPolicy) -> None:
        self.policy = policy
        self.failures = 0  # exits since the last run that lasted stable_after
        self.quick_failures = 0  # exits in a row, each within start_grace of starting

    def exited(self, uptime: float) -> float | None:
        """The delay before starting again after a run of `uptime` seconds, or
        None when the child keeps failing at start."""
        if uptime >= self.policy.stable_after:
            self.failures = 0
        if uptime >= self.policy.start_grace:
            self.quick_failures = 0
        else:
            self.quick_failures += 1
            if self.quick_failures >= self.policy.give_up_after:
                return None
        self.failures += 1
        return self.policy.delay(self.failures)


def describe_exit(code: int) -> str:
    """`exit code 3` or `killed by SIGKILL`, from a Popen return code."""
    if code >= 0:
        return f"exit code {code}"
    try:
        return f"killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"


# ----------------------------------------------------------------- console


class Console:
    """Prefixed, colored (on a terminal) lines from many threads, never interleaved."""

    COLORS = ("36", "32", "33", "35", "34", "96", "92", "93", "95", "94")
    ALARM = "1;31"  # bold red

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.width = 12
        self.color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        self.assigned: dict[str, str] = {}

    def line(self, name: str, text: str, code: str | None = None) -> None:
        self.lines(name, [text], code)

    def lines(self, name: str, texts: list[str], code: str | None = None) -> None:
        """Several lines of one component, written together."""
        prefix = f"{name:<{self.width}} |"
        if self.color:
            code = code or self.assigned.setdefault(
                name, self.COLORS[len(self.assigned) % len(self.COLORS)]
            )
            prefix = f"\033[{code}m{prefix}\033[0m"
        block = "".join(f"{prefix} {text}\n" for text in texts)
        with self.lock:
            sys.stdout.write(block)
            sys.stdout.flush()

    def say(self, text: str) -> None:
        self.line("run_stack", text)

    def alarm(self, text: str, details: str = "") -> None:
        """A line that stands out (a child died, the stack gives up), then
        indented details such as the last lines of a log."""
        self.line("run_stack", f"!!! {text}", self.ALARM)
        if details:
            with self.lock:
                sys.stdout.write(details + "\n")
                sys.stdout.flush()


console = Console()


# ----------------------------------------------------------------- children


def group_alive(pgid: int) -> bool:
    """Whether a process other than a zombie is still in process group pgid."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: zombies count too, so the wait may run out
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            # "pid (command) state ppid pgrp ...": the command may hold spaces.
            state, _ppid, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError, ValueError):
            continue
        if int(pgrp) == pgid and state != "Z":
            return True
    return False


class Child:
    """A component under supervision: its current process, the thread copying
    that process's output, and its log file, which keeps every run's lines."""

    def __init__(self, component: Component, base_env: dict[str, str],
                 log_dir: Path, cwd: Path, policy: RestartPolicy) -> None:
        self.component = component
        self.name = component.name
        self.env = {**base_env, **component.env}
        self.cwd = cwd
        self.log_path = log_dir / f"{self.name}.log"
        # A fresh file for each run_stack; open until close(), restarts append to it.
        self.log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115
        self.log_lock = threading.Lock()
        self.record = RestartRecord(policy)
        self.restarts = 0
        self.restart_at: float | None = None  # monotonic time of the next start, while waiting
        self.finished = False  # a one-shot that ended; never started again
        self.reaped = False  # its process and process group are gone
        self.launch()

    def launch(self) -> None:
        # Own session: the terminal's Ctrl-C reaches only run_stack, which then
        # stops the children in order; killpg also reaches their workers.
        self.proc = subprocess.Popen(
            self.component.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started_at = time.monotonic()
        self.reaped = False
        self.pump = threading.Thread(target=self._pump, args=(self.proc.stdout,),
                                     name=f"pump-{self.name}", daemon=True)
        self.pump.start()

    def _pump(self, output: IO[bytes]) -> None:
        """Copy whatever the child has written, a block at a time: a busy stack
        writes a line per message handled in every service, and copying (and
        flushing) them one by one made this process the bottleneck, whose
        full pipes then stopped the services in their log calls."""
        with output:
            pending = b""
            while block := output.read1(PUMP_BLOCK_BYTES):
                lines = (pending + block).split(b"\n")
                pending = lines.pop()  # a line not yet ended waits for its end
                if lines:
                    self._copy([raw.decode("utf-8", errors="replace") for raw in lines])
            if pending:
                self._copy([pending.decode("utf-8", errors="replace")])

    def _copy(self, lines: list[str]) -> None:
        self.write_log("\n".join(lines))
        console.lines(self.name, lines)

    def write_log(self, text: str) -> None:
        with self.log_lock:
            self.log.write(text + "\n")
            self.log.flush()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def exit_code(self) -> int | None:
        return self.proc.poll()

    def running(self) -> bool:
        return not self.reaped and self.exit_code() is None

    def signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def reap(self) -> None:
        """Once the process has exited: kill what is left of its process group
        (workers of a dead gunicorn master) and wait until it is gone, so its
        ports are free; then finish copying its output."""
        if self.reaped:
            return
        self.signal(signal.SIGKILL)
        deadline = time.monotonic() + REAP_TIMEOUT_SECONDS
        while group_alive(self.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.reaped = True
        self.pump.join(timeout=2)

    def restart(self) -> None:
        self.restarts += 1
        self.restart_at = None
        self.write_log(f"----- run_stack: restart {self.restarts} of {self.name} at "
                       f"{time.strftime('%Y-%m-%d %H:%M:%S')} -----")
        self.launch()

    def close(self) -> None:
        self.reap()
        with self.log_lock:
            self.log.close()

    def tail(self, lines: int = TAIL_LINES) -> str:
        with self.log_lock:
            if not self.log.closed:
                self.log.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join("    " + t for t in text[-lines:]) or "    (empty log)"


class Supervisor:
    """The children of one run_stack; supervise() is called every fraction of a second."""

    def __init__(self, log_dir: Path, cwd: Path, policy: RestartPolicy | None = None) -> None:
        self.log_dir = log_dir
        self.cwd = cwd
        self.policy = policy or RestartPolicy()
        self.children: list[Child] = []
        self.stop_requested = threading.Event()
        self.gave_up: str | None = None  # why the supervisor stopped the stack

    def start(self, component: Component, base_env: dict[str, str]) -> Child:
        child = Child(component, base_env, self.log_dir, self.cwd, self.policy)
        console.say(f"started {component.name} (pid {child.pid}): {' '.join(component.argv)}")
        self.children.append(child)
        return child

    def stop_on_signals(self) -> None:
        """Ctrl-C (SIGINT), SIGTERM and SIGHUP request the stop."""

        def request_stop(signum: int, _frame: object) -> None:
            if not self.stop_requested.is_set():
                console.say(f"{signal.Signals(signum).name} received: stopping")
            self.stop_requested.set()

        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, request_stop)

    def supervise(self) -> None:
        """Report the children that exited since the last call, and start again
        those whose back-off is over; a child that keeps failing at start
        requests the stop (gave_up says why)."""
        if self.stop_requested.is_set():
            return
        for child in list(self.children):
            if child.finished:
                continue
            if child.restart_at is not None:
                if time.monotonic() >= child.restart_at:
                    child.restart()
                    console.say(f"restarted {child.name} (restart {child.restarts}, pid {child.pid})")
                continue
            code = child.exit_code()
            if code is not None:
                self._exited(child, code)
                if self.stop_requested.is_set():
                    return

    def _exited(self, child: Child, code: int) -> None:
        uptime = time.monotonic() - child.started_at
        child.reap()
        how = f"{describe_exit(code)} after {uptime:.1f}s"
        if child.component.oneshot:
            child.finished = True
            if code == 0:
                console.say(f"{child.name} finished")
            else:
                console.alarm(f"{child.name} failed ({how}); not run again, the rest keeps "
                              f"running. Last lines of {child.log_path}:", child.tail())
            return
        delay = child.record.exited(uptime)
        if delay is None:
            self.gave_up = (f"{child.name} keeps failing at start: it exited "
                            f"{self.policy.give_up_after} times in a row within "
                            f"{self.policy.start_grace:g}s of starting (last: {describe_exit(code)}); "
                            f"see {child.log_path}")
            console.alarm(f"{child.name} exited ({how}). Last lines of {child.log_path}:",
                          child.tail())
            console.alarm(f"{self.gave_up}: stopping everything")
            self.stop_requested.set()
            return
        child.restart_at = time.monotonic() + delay
        when = time.strftime("%H:%M:%S", time.localtime(time.time() + delay))
        console.alarm(f"{child.name} exited unexpectedly ({how}). Last lines of {child.log_path}:",
                      child.tail())
        quick = child.record.quick_failures
        streak = (f"; {quick} failed start{'s' if quick > 1 else ''} in a row (within "
                  f"{self.policy.start_grace:g}s), at {self.policy.give_up_after} run_stack "
                  "stops everything") if quick else ""
        console.alarm(f"restarting {child.name} in {delay:g}s (at {when}){streak}")

    def stop_all(self) -> None:
        """SIGTERM to every running child, the last started first; SIGKILL to
        those still running after STOP_GRACE_SECONDS and to leftover workers."""
        running = [c for c in reversed(self.children) if c.running()]
        if running:
            console.say(f"stopping {', '.join(c.name for c in running)}")
        for child in running:  # gateway first, then services, the mail sink last
            child.signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in running:
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                console.say(f"{child.name} ignored SIGTERM for {STOP_GRACE_SECONDS}s: SIGKILL")
                child.signal(signal.SIGKILL)
                child.proc.wait()
        for child in self.children:
            child.close()
