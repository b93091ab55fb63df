#!/usr/bin/env python3
"""Wait until this machine is quiet before the next benchmark (scripts/run_benchmarks.sh).

A benchmark leaves work behind it: the exams benchmark's 40,000 rows keep
PostgreSQL busy with its checkpoint and autovacuum for a while after it
prints its figures, and on a 2-core machine the next benchmark would measure
that too. So: ask PostgreSQL for a checkpoint now, then wait until the CPUs
are at least QUIET_IDLE (default 90 %) idle over two seconds, for at most
QUIET_MAX_WAIT seconds (default 90), and say how long it took. Never fails:
a machine that will not quieten is benchmarked anyway, with a warning.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time


def cpu_idle_fraction(seconds: float) -> float:
    def sample() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            values = [int(field) for field in stat.readline().split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return idle, sum(values)

    idle_before, total_before = sample()
    time.sleep(seconds)
    idle_after, total_after = sample()
    return (idle_after - idle_before) / max(1, total_after - total_before)


def main() -> int:
    wanted = float(os.environ.get("QUIET_IDLE", "0.9"))
    max_wait = float(os.environ.get("QUIET_MAX_WAIT", "90"))
    started = time.monotonic()
    # The checkpoint is best-effort: without psql, or with PostgreSQL elsewhere, only the wait counts.
    subprocess.run(["psql", "-h", os.environ.get("PGHOST", "127.0.0.1"), "-U", os.environ.get("PGUSER", "postgres"),
                    "-qc", "CHECKPOINT"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    while True:
        idle = cpu_idle_fraction(2.0)
        waited = time.monotonic() - started
        if idle >= wanted:
            print(f"=== bench: machine quiet ({idle:.0%} idle) after {waited:.0f} s")
            return 0
        if waited >= max_wait:
            print(f"=== bench: WARNING: machine still busy ({idle:.0%} idle) after {waited:.0f} s; "
                  "figures below include that load", file=sys.stderr)
            return 0


if __name__ == "__main__":
    sys.exit(main())
