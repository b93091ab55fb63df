#!/usr/bin/env python3
"""Whole-pipeline ingestion benchmark (`make bench BENCH=pipeline`): prints figures, asserts nothing.

--count new candidates (default 1,000), each a vendor `exam_registration`
and a passing CCNA `exam_result` (2 × count messages), published as fast as
the vendor publisher goes, on the stack as `make run` starts it (one
process per service, deploy/run_stack.py through the end-to-end suite's
Stack, private vhost and databases). Timed from the first publish until
every candidate is created and linked by identity, every sitting stored by
exams, CCNA achieved by certs, and the events and mails that follow handled
by fulfillment, transcripts and identity: every queue of the vhost empty
with nothing unacknowledged and every service's outbox sent.

Side by side, before the stack starts, the raw loop on the same broker and
database (benchmarks/bench_ingestion.py: pika publish → pika consume → one
INSERT per message) with the same number of messages.

Target (issue 18, P1): the pipeline ≥ 0.3 × the raw loop.

Then, on the same stack, how soon a certification shows (issue 18, P1:
p99 < 1 s at 200 results/s): --visible-rate results per second for
--visible-seconds, each a passing DevNet Associate result of a candidate
from the first part whose registration is already linked, published at a
steady pace; for each, the time from its publish to certs' published
standing turning active (the row's `updated_at`, on this machine's clock).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pika
import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "services/exams")]

from bench_ingestion import measure_baseline  # noqa: E402
from certtrack_shared import topology  # noqa: E402
from certtrack_shared.config import SERVICES  # noqa: E402
from tests.e2e.stack import Stack  # noqa: E402
from tests.harness.broker import _api, Vhost  # noqa: E402
from tests.harness.databases import RunDatabases  # noqa: E402
from tests.harness.vendor import registration, result  # noqa: E402

CCNA = ("200-301", "Implementing and Administering Cisco Solutions")
DEVNET = ("200-901", "Developing Applications and Automating Workflows using Cisco Platforms")


def queues_busy(vhost: Vhost) -> int:
    """Messages ready or unacknowledged in every queue of the vhost."""
    url, auth = _api(f"queues/{quote(vhost.name, safe='')}?columns=name,messages")
    return sum(queue.get("messages") or 0 for queue in requests.get(url, auth=auth, timeout=10).json())


def unsent(engines) -> int:
    total = 0
    for engine in engines.values():
        with engine.connect() as connection:
            total += connection.execute(text(
                "SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL")).scalar_one()
    return total


def certified(engines, prefix: str) -> int:
    with engines["certs"].connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM published_standings p JOIN candidates c USING (candidate_id)"
            " WHERE p.certification_id = 'ccna' AND p.status = 'active' AND c.email LIKE :p"),
            {"p": f"{prefix}%"}).scalar_one()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--visible-rate", type=float, default=200.0, metavar="R",
                        help="results per second of the visibility part (0: skip it)")
    parser.add_argument("--visible-seconds", type=float, default=5.0, metavar="S")
    parser.add_argument("--history", type=int, default=0, metavar="N",
                        help="first load N candidates' history (benchmarks/history_loader.py)")
    options = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    vhost = Vhost().create()
    databases = RunDatabases()
    urls = {service: databases.url(f"pipe_{service}") for service in SERVICES}
    messages = 2 * options.count
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as folder:
        try:
            from kombu import Connection

            with Connection(vhost.amqp_uri) as connection:
                topology.declare(connection)
            base_rate, base_elapsed = measure_baseline(vhost, databases.url("pipe_baseline"), messages)
            channel = pika.BlockingConnection(pika.URLParameters(vhost.amqp_uri)).channel()
            channel.queue_purge("evt-vendor-exam_result--exams.handle_exam_result")
            channel.connection.close()

            if options.history:
                from history_loader import migrate_and_load

                migrate_and_load(urls, options.history)
            stack = Stack(vhost.amqp_uri, urls, Path(folder))
            stack.env["REPLICAS"] = "1"
            stack.start()
            engines = {service: create_engine(url) for service, url in urls.items()}
            try:
                run = uuid.uuid4().int % 100_000
                prefix = f"pipe{run:05d}."
                bodies = []
                for index in range(options.count):
                    email, number = f"{prefix}{index}@example.com", f"9{run:05d}{index:06d}"
                    bodies.append(("exam_registration", registration(number, email=email, exam=CCNA)))
                    bodies.append(("exam_result", result(number, email=email, exam=CCNA)))
                cpu_before = stack_cpu_seconds(stack.process.pid)
                started = time.monotonic()
                _publish_all(vhost, bodies)
                published = time.monotonic() - started
                while not (certified(engines, prefix) == options.count and queues_busy(vhost) == 0
                           and unsent(engines) == 0):
                    time.sleep(0.5)
                elapsed = time.monotonic() - started
                cpu = {component: seconds - cpu_before.get(component, 0.0)
                       for component, seconds in stack_cpu_seconds(stack.process.pid).items()}
                visible = (measure_visibility(vhost, engines, prefix, run, options)
                           if options.visible_rate > 0 else None)
            finally:
                for engine in engines.values():
                    engine.dispose()
                stack.stop()
        finally:
            databases.drop_all()
            vhost.delete()
    rate = messages / elapsed
    print(f"whole pipeline, {options.count:,} new candidates ({messages:,} vendor messages), "
          f"one process per service")
    print(f"  published in {published:.1f} s; every candidate certified, every queue empty and "
          f"every outbox sent after {elapsed:.1f} s: {rate:.0f} msg/s")
    print(f"  raw loop (pika -> pika -> INSERT), same messages: {base_rate:.0f} msg/s "
          f"({base_elapsed:.1f} s)")
    print(f"  ratio: {rate / base_rate:.3f} (target >= 0.3)")
    # CPU time is what a crowded machine changes least: the figure to compare changes by.
    busy = sorted(((seconds, component) for component, seconds in cpu.items() if seconds >= 0.05),
                  reverse=True)
    print(f"  CPU per candidate: {sum(cpu.values()) * 1000 / options.count:.1f} ms in all ("
          + ", ".join(f"{component} {seconds * 1000 / options.count:.1f}"
                      for seconds, component in busy) + ")")
    if visible:
        print(f"certification visible, {len(visible):,} passing results at "
              f"{options.visible_rate:.0f}/s of candidates already linked: publish to active "
              f"standing p50 {percentile(visible, 50):.0f} ms, p99 {percentile(visible, 99):.0f} ms, "
              f"max {visible[-1]:.0f} ms (target p99 < 1 s)")
    return 0


def measure_visibility(vhost: Vhost, engines, prefix: str, run: int, options) -> list[float]:
    """Milliseconds from each DevNet result's publish to its active standing, sorted."""
    from datetime import datetime

    count = min(options.count, int(options.visible_rate * options.visible_seconds))
    numbers = {f"{prefix}{index}@example.com": f"8{run:05d}{index:06d}" for index in range(count)}
    # The registrations first, linked before the clock starts: what is timed is the result.
    _publish_all(vhost, [("exam_registration", registration(number, email=email, exam=DEVNET))
                         for email, number in numbers.items()])
    while _linked(engines, numbers.values()) < count:
        time.sleep(0.2)
    stamps: dict[str, datetime] = {}
    bodies = [("exam_result", result(number, email=email, exam=DEVNET))
              for email, number in numbers.items()]
    _publish_all(vhost, bodies, rate=options.visible_rate, stamps=stamps)
    deadline = time.monotonic() + 120
    while True:
        with engines["certs"].connect() as connection:
            rows = connection.execute(text(
                "SELECT c.email, p.updated_at FROM published_standings p JOIN candidates c"
                " USING (candidate_id) WHERE p.certification_id = 'devnet_associate'"
                " AND p.status = 'active' AND c.email LIKE :p"), {"p": f"{prefix}%"}).all()
        if len(rows) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    by_number = {numbers[email]: updated_at for email, updated_at in rows}
    return sorted(max(0.0, (by_number[number] - stamps[number]).total_seconds() * 1000)
                  for number in stamps if number in by_number) + \
        [float("inf")] * (count - len(by_number))


def stack_cpu_seconds(pid: int) -> dict[str, float]:
    """CPU seconds (user and system) each component of the stack under `pid` has used so far."""
    from process_memory import component_of, descendants

    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for child in descendants(pid):
        try:
            stat = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            cmdline = Path(f"/proc/{child}/cmdline").read_text().split("\0")
        except OSError:
            continue  # gone meanwhile
        component = component_of(cmdline)
        used[component] = used.get(component, 0.0) + (int(stat[11]) + int(stat[12])) / ticks
    return used


def _linked(engines, numbers) -> int:
    with engines["exams"].connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM registrations WHERE candidate_id IS NOT NULL"
            " AND registration_number = ANY(:n)"), {"n": list(numbers)}).scalar_one()


def percentile(sorted_values: list[float], pct: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * pct / 100))]


def _publish_all(vhost: Vhost, bodies: list[tuple[str, dict]], rate: float | None = None,
                 stamps: dict | None = None) -> None:
    """In order, each a vendor message as the development vendor (bench_ingestion's
    publisher); with `rate`, at that many a second, the time of each publish in `stamps`
    by registration number."""
    from datetime import datetime, timezone

    from certtrack_shared.broker_identities import DEV_VENDOR
    from certtrack_shared.vendor_publisher import VendorPublisher
    from tests.harness.messages import as_user

    publisher = VendorPublisher(as_user(vhost.amqp_uri, DEV_VENDOR))
    started = time.monotonic()
    for index, (routing_key, body) in enumerate(bodies):
        if rate:
            time.sleep(max(0.0, started + index / rate - time.monotonic()))
        if stamps is not None:
            stamps[body["registration_number"]] = datetime.now(timezone.utc)
        publisher.publish(routing_key, body, body["event_id"])
    publisher.close()


if __name__ == "__main__":
    sys.exit(main())
