"""The processes of a running stack and the memory each holds, read from /proc.

A process's RSS counts every page it maps, shared or not: gunicorn's forked
workers share their master's pages copy-on-write, and every Python process
maps the same libpython and shared libraries, so a sum of RSS counts those
pages once per process. PSS (`/proc/<pid>/smaps_rollup`) divides each shared
page among the processes that map it, so a sum of PSS is what the stack
really takes from the machine. Both are reported; neither is wrong, they
answer different questions (what one container needs vs. what the machine
gives the whole stack).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from certtrack_shared.config import SERVICES

# What run_stack starts in development only; production runs none of them
# (the mail relay, identity provider, payment processor and warehouse are real parties).
DEVELOPMENT_ONLY = ("smtp-sink", "oidc-provider", "payment-sandbox", "warehouse-simulator", "run_stack")


@dataclass
class Process:
    pid: int
    component: str
    role: str  # "master" / "worker" for gunicorn, else "process"
    command: str
    rss_kib: int
    pss_kib: int
    peak_kib: int  # VmHWM: the highest RSS the process ever had

    @property
    def development_only(self) -> bool:
        return self.component in DEVELOPMENT_ONLY


def component_of(cmdline: list[str]) -> str:
    """Which part of the stack a process is, from its command line."""
    line = " ".join(cmdline)
    if "gateway.app:create_app" in line:
        return "gateway"
    if "transcripts.public_web:create_app" in line:
        return "transcripts-web"
    if "nameko" in line and " run " in f" {line} ":
        for service in SERVICES:
            if f"{service}.service" in cmdline:
                return service
    for marker, name in (("aiosmtpd", "smtp-sink"), ("oidc_provider_mock", "oidc-provider"),
                         ("payment_sandbox", "payment-sandbox"), ("run_stack.py", "run_stack")):
        if marker in line:
            return name
    for part in cmdline:
        if part.endswith(".py"):
            return Path(part).stem.replace("_", "-")
    return Path(cmdline[0]).name if cmdline and cmdline[0] else "?"


def descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        found += [int(child) for child in children]
        queue += [int(child) for child in children]
    return found


def _fields_kib(path: str, names: tuple[str, ...]) -> dict[str, int]:
    fields = {}
    for line in Path(path).read_text().splitlines():
        name, _, value = line.partition(":")
        if name in names:
            fields[name] = int(value.split()[0])
    return fields


def read(pid: int) -> Process | None:
    """The process's figures, or None when it exited while we looked."""
    try:
        cmdline = [part for part in Path(f"/proc/{pid}/cmdline").read_text().split("\0") if part]
        status = _fields_kib(f"/proc/{pid}/status", ("VmRSS", "VmHWM", "PPid"))
        rollup = _fields_kib(f"/proc/{pid}/smaps_rollup", ("Pss",))
        parent = [part for part in Path(f"/proc/{status['PPid']}/cmdline").read_text().split("\0") if part]
    except (OSError, KeyError):
        return None
    component = component_of(cmdline)
    role = "process"
    if component in ("gateway", "transcripts-web"):
        role = "worker" if component_of(parent) == component else "master"
    return Process(pid, component, role, " ".join(cmdline), status.get("VmRSS", 0), rollup.get("Pss", 0),
                   status.get("VmHWM", 0))


def stack_processes(root_pid: int, others: tuple[int, ...] = ()) -> list[Process]:
    """run_stack (root_pid), every process under it, and `others` (started beside it)."""
    found = [read(pid) for pid in (root_pid, *descendants(root_pid), *others)]
    return sorted((p for p in found if p is not None), key=lambda p: (p.development_only, p.component, p.pid))
