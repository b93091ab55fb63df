"""deploy/run_stack.py's supervision, run on small stand-in components: what
tests/test_run_stack.py starts as its "run_stack".

Usage: run_stack_driver.py SPEC_JSON, where the spec is
{"port": 8123, "ready_timeout": 20, "components": [...], "after_ready": [...]}
and each component {"name": ..., "code": ..., "args": [...], "oneshot": false}
runs as `python -c CODE ARGS...`; one marked "service": true runs as REPLICAS
processes, as run_stack starts a service. Everything else is run_stack's own:
the signal handling, serve() with its wait for http://127.0.0.1:PORT/readyz,
the restart rules read from RESTART_*, REPLICAS and the log files under LOG_DIR.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "deploy"))

import run_stack  # noqa: E402
from supervision import Component, RestartPolicy, Supervisor, console  # noqa: E402


def components(specs: list[dict]) -> list[Component]:
    return [Component(s["name"], [sys.executable, "-c", s["code"], *s.get("args", [])],
                      oneshot=s.get("oneshot", False))
            for s in specs]


def main() -> int:
    spec = json.loads(sys.argv[1])
    run_stack.LOG_DIR.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    stack = Supervisor(run_stack.LOG_DIR, run_stack.ROOT, RestartPolicy.from_env(env))
    stack.stop_on_signals()
    port = spec["port"]
    services, scaled_up = run_stack.scale(
        components([c for c in spec["components"] if c.get("service")]), run_stack.replica_count(env))
    others = components([c for c in spec["components"] if not c.get("service")])
    return run_stack.serve(stack, env, port, spec.get("ready_timeout", 20),
                           services + others, scaled_up + components(spec.get("after_ready", [])),
                           lambda: console.say(f"CertTrack is up: http://127.0.0.1:{port}/"))


if __name__ == "__main__":
    sys.exit(main())
