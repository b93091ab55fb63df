#!/usr/bin/env python3
"""Ingestion benchmark (`make bench`): prints figures, asserts nothing.

1. Throughput of `exam_result` from publish to sitting stored *and*
   `exam_passed` published, sustained over --count messages (default 20,000),
   against the real exams service (`nameko run`) on a private vhost/database.
2. Side by side, a raw baseline on the same broker and database: pika publish
   → pika consume → one INSERT per message.
3. Publish-to-stored latency (p50/p99) at a steady 50 messages/s.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pika
import psycopg2
import yaml
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
# The test harness, and the exams service (its migrations import its models).
sys.path[:0] = [str(ROOT), str(ROOT / "services/exams")]

from tests.harness.broker import Vhost  # noqa: E402
from tests.harness.messages import as_user  # noqa: E402
from tests.harness.databases import RunDatabases  # noqa: E402
from tests.harness.vendor import result  # noqa: E402
from certtrack_shared.broker_identities import DEV_VENDOR  # noqa: E402
from certtrack_shared.vendor_publisher import VendorPublisher  # noqa: E402


def publish(amqp_uri, bodies, rate=None, stamps=None):
    """Publish `bodies` as `exam_result`s the way a vendor does: through the vendor
    simulator's publisher (certtrack_shared/vendor_publisher.py: pika, confirms,
    mandatory), as the development vendor user with its user_id (exams applies
    nothing else, decision 0016), for the service and the baseline alike."""
    publisher = VendorPublisher(as_user(amqp_uri, DEV_VENDOR))
    started = time.monotonic()
    for index, body in enumerate(bodies):
        if rate:
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        if stamps is not None:
            stamps[body["registration_number"]] = datetime.now(timezone.utc)
        publisher.publish("exam_result", body, body["event_id"])
    publisher.close()


def count_on(amqp_uri, queue):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    declared = connection.channel().queue_declare(queue, passive=True)
    connection.close()
    return declared.method.message_count


def consumers_on(amqp_uri, queue):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    declared = connection.channel().queue_declare(queue, passive=True)
    connection.close()
    return declared.method.consumer_count


def start_exams(vhost, db_url, workdir):
    config = {"AMQP_URI": vhost.amqp_uri, "DATABASE_URL": db_url, "OUTBOX_POLL_SECONDS": 0.5,
              "max_workers": int(os.environ.get("BENCH_WORKERS", "10")), "SMTP_URL": "smtp://127.0.0.1:1"}
    path = workdir / "exams-bench.yml"
    path.write_text(yaml.safe_dump(config))
    env = dict(os.environ, CERTTRACK_ENV="test", PYTHONPATH=os.pathsep.join(
        [str(ROOT / "services/exams"), str(ROOT / "lib"), os.environ.get("PYTHONPATH", "")]))
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("nameko")), "run", "--config", str(path),
         "exams.service"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if consumers_on(vhost.amqp_uri, "evt-vendor-exam_result--exams.handle_exam_result"):
            return process
        time.sleep(0.2)
    raise SystemExit("exams did not start")


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) the process has used so far: what a crowded
    machine changes least, so the figure to compare changes by."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def link_all(db_url, numbers, candidate="CSCO19999999"):
    """Registrations already linked, so every result is announced at once."""
    engine = create_engine(db_url)
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO registrations (vendor, registration_number, program, reported_candidate,"
            " candidate_id, updated_at) VALUES ('pearson_vue', :n, 'cisco', '{}', :c, :t)"),
            [{"n": n, "c": candidate, "t": now} for n in numbers])
    engine.dispose()


def measure_service(vhost, db_url, count, workdir):
    prefix = f"b{uuid.uuid4().hex[:6]}"
    bodies = [result(f"{prefix}-{i}") for i in range(count)]
    link_all(db_url, [b["registration_number"] for b in bodies])
    connection = pika.BlockingConnection(pika.URLParameters(vhost.amqp_uri))
    channel = connection.channel()
    passed_queue = f"bench-passed-{prefix}"
    channel.queue_declare(passed_queue, durable=True)
    channel.queue_bind(passed_queue, "exams.events", "exam_passed")
    connection.close()
    engine = create_engine(db_url)
    process = start_exams(vhost, db_url, workdir)
    try:
        cpu_at_start = cpu_seconds(process.pid)
        started = time.monotonic()
        publisher = threading.Thread(target=publish, args=(vhost.amqp_uri, bodies))
        publisher.start()
        passed = sum(1 for b in bodies if b["result"] == "pass")
        stored_at = []
        while True:
            with engine.connect() as c:
                stored = c.execute(text("SELECT count(*) FROM sittings WHERE registration_number"
                                        " LIKE :p"), {"p": f"{prefix}-%"}).scalar_one()
            announced = count_on(vhost.amqp_uri, passed_queue)
            if stored >= count and not stored_at:
                stored_at.append(time.monotonic() - started)
            if stored >= count and announced >= passed:
                break
            time.sleep(0.25)
        elapsed = time.monotonic() - started
        publisher.join()
        print(f"  (all stored after {stored_at[0]:.1f} s, all announced after {elapsed:.1f} s; "
              f"exams used {(cpu_seconds(process.pid) - cpu_at_start) * 1e6 / count:.0f} µs of CPU per result)")
        return count / elapsed, elapsed
    finally:
        process.terminate()
        process.wait(30)
        engine.dispose()


def measure_latency(vhost, db_url, workdir, rate=50.0, seconds=20):
    prefix = f"l{uuid.uuid4().hex[:6]}"
    bodies = [result(f"{prefix}-{i}") for i in range(int(rate * seconds))]
    link_all(db_url, [b["registration_number"] for b in bodies])
    process = start_exams(vhost, db_url, workdir)
    engine = create_engine(db_url)
    stamps = {}
    try:
        publish(vhost.amqp_uri, bodies, rate=rate, stamps=stamps)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with engine.connect() as c:
                rows = c.execute(text("SELECT registration_number, recorded_at FROM sittings "
                                      "WHERE registration_number LIKE :p"),
                                 {"p": f"{prefix}-%"}).all()
            if len(rows) == len(bodies):
                break
            time.sleep(0.5)
        latencies = sorted((recorded - stamps[number]).total_seconds() * 1000
                           for number, recorded in rows)
        return latencies
    finally:
        process.terminate()
        process.wait(30)
        engine.dispose()


def measure_baseline(vhost, db_url, count):
    """pika publish → pika consume → one INSERT per message."""
    dsn = db_url.replace("postgresql+psycopg2://", "postgresql://")
    database = psycopg2.connect(dsn)
    database.autocommit = True
    with database.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS baseline_sittings "
                       "(id bigserial primary key, registration_number text, body jsonb)")
    connection = pika.BlockingConnection(pika.URLParameters(vhost.amqp_uri))
    channel = connection.channel()
    queue = f"baseline-{uuid.uuid4().hex[:6]}"
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, "vendor.events", "exam_result")
    bodies = [result(f"base-{i}") for i in range(count)]
    started = time.monotonic()
    publisher = threading.Thread(target=publish, args=(vhost.amqp_uri, bodies))
    publisher.start()
    channel.basic_qos(prefetch_count=100)
    done = 0
    cursor = database.cursor()
    for method, _properties, body in channel.consume(queue, inactivity_timeout=30):
        if method is None:
            break
        message = json.loads(body)
        cursor.execute("INSERT INTO baseline_sittings (registration_number, body) VALUES (%s, %s)",
                       (message["registration_number"], body.decode()))
        channel.basic_ack(method.delivery_tag)
        done += 1
        if done == count:
            break
    elapsed = time.monotonic() - started
    publisher.join()
    channel.queue_delete(queue)
    connection.close()
    database.close()
    return count / elapsed, elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--latency-seconds", type=int, default=20)
    parser.add_argument("--history", type=int, default=0, metavar="N",
                        help="first load N candidates' history (benchmarks/history_loader.py)")
    args = parser.parse_args(argv)
    import tempfile

    vhost = Vhost(f"certtrack-bench-{uuid.uuid4().hex[:6]}").create()
    databases = RunDatabases()
    try:
        from certtrack_shared.migrations import upgrade
        from kombu import Connection

        from certtrack_shared import topology

        with Connection(vhost.amqp_uri) as connection:
            topology.declare(connection)
        db_url = databases.url("exams_bench")
        upgrade("exams", db_url)
        if args.history:
            from history_loader import migrate_and_load

            migrate_and_load({"exams": db_url}, args.history)
        workdir = Path(tempfile.mkdtemp())
        # The service's own queue must not hold the baseline's messages: the
        # baseline binds its own queue, and exams is not running meanwhile.
        base_rate, base_elapsed = measure_baseline(vhost, db_url, args.count)
        # Drop what the baseline left in the exams queue before measuring exams.
        c = pika.BlockingConnection(pika.URLParameters(vhost.amqp_uri))
        c.channel().queue_purge("evt-vendor-exam_result--exams.handle_exam_result")
        c.close()
        rate, elapsed = measure_service(vhost, db_url, args.count, workdir)
        latencies = measure_latency(vhost, db_url, workdir, seconds=args.latency_seconds)
    finally:
        databases.drop_all()
        vhost.delete()
    print(f"exam_result ingestion, {args.count} messages, same broker and database")
    print(f"  CertTrack exams (stored + exam_passed published): {rate:8.0f} msg/s ({elapsed:.1f} s)")
    print(f"  raw baseline (pika -> pika -> INSERT):           {base_rate:8.0f} msg/s "
          f"({base_elapsed:.1f} s)")
    print(f"  ratio: {rate / base_rate:.2f} (target >= 0.3)")
    print(f"publish-to-stored latency at 50 msg/s over {len(latencies)} messages: "
          f"p50 {statistics.median(latencies):.0f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99) - 1]:.0f} ms")


if __name__ == "__main__":
    main()
