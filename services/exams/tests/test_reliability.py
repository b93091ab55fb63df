"""What CONTRACTS.md §1 promises vendors, proved on the real exams service:
duplicates, shuffles, downtime, kill -9 and poison messages lose nothing and
apply nothing twice."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from exams.service import ExamsService
from tests.harness.messages import publish_many, wait_for
from tests.harness.vendor import result

SERVICE_DIR = Path(__file__).resolve().parents[1]
RESULT_QUEUE = "evt-vendor-exam_result--exams.handle_exam_result"


def publish_all(amqp_uri, messages):
    """(routing_key, body bytes or dict, message_id) as the development vendor, in order."""
    publish_many(amqp_uri, "vendor.events", messages)


def results(prefix, count):
    return [result(f"{prefix}-{i}") for i in range(count)]


class Sittings:
    def __init__(self, url):
        self.engine = create_engine(url)

    def count(self, prefix):
        with self.engine.connect() as connection:
            return connection.execute(text(
                "SELECT count(*) FROM sittings WHERE registration_number LIKE :p"),
                {"p": f"{prefix}-%"}).scalar_one()

    def dead_letters(self, queue):
        with self.engine.connect() as connection:
            return connection.execute(text(
                "SELECT message_id, reason FROM dead_letters WHERE queue = :q"), {"q": queue}).all()

    def changes(self, prefix):
        with self.engine.connect() as connection:
            return connection.execute(text(
                "SELECT count(*) FROM sitting_changes c JOIN sittings s ON s.id = c.sitting_id "
                "WHERE s.registration_number LIKE :p"), {"p": f"{prefix}-%"}).scalar_one()


@pytest.fixture
def sittings(exams_config):
    db = Sittings(exams_config["DATABASE_URL"])
    yield db
    db.engine.dispose()


@pytest.mark.slow
def test_thousand_results_each_delivered_twice_shuffled_make_thousand_sittings(
    container_factory, exams_config, sittings, amqp_uri
):
    prefix = f"dup{uuid.uuid4().hex[:6]}"
    bodies = results(prefix, 1000)
    deliveries = [("exam_result", b, b["event_id"]) for b in bodies] * 2
    random.Random(1).shuffle(deliveries)
    container = container_factory(ExamsService, exams_config)
    container.start()
    publish_all(amqp_uri, deliveries)
    wait_for(lambda: sittings.count(prefix) == 1000, timeout=240, interval=1,
             message="1000 sittings")
    time.sleep(2)  # any duplicate still in flight would land now
    assert sittings.count(prefix) == 1000
    assert sittings.changes(prefix) == 1000  # a second application would add a correction


@pytest.mark.slow
def test_results_published_while_exams_is_down_are_applied_when_it_starts(
    container_factory, exams_config, sittings, amqp_uri
):
    prefix = f"down{uuid.uuid4().hex[:6]}"
    # The topology exists (another service declared it); exams is not running.
    publish_all(amqp_uri, [("exam_result", b, b["event_id"]) for b in results(prefix, 500)])
    time.sleep(1)
    assert sittings.count(prefix) == 0
    container = container_factory(ExamsService, exams_config)
    container.start()
    wait_for(lambda: sittings.count(prefix) == 500, timeout=180, interval=1, message="500 applied")


def test_message_published_before_any_consumer_ever_started_on_a_fresh_vhost_is_kept(
    container_factory, private_service_config
):
    from identity.service import IdentityService

    # A fresh vhost where only identity has started: the system declared the
    # whole topology, though no exams consumer ever existed there.
    container_factory(IdentityService, private_service_config("identity")).start()
    prefix = f"fresh{uuid.uuid4().hex[:6]}"
    exams_config = private_service_config("exams")
    publish_all(exams_config["AMQP_URI"], [("exam_result", b, b["event_id"])
                                           for b in results(prefix, 3)])
    container_factory(ExamsService, exams_config).start()
    db = Sittings(exams_config["DATABASE_URL"])
    wait_for(lambda: db.count(prefix) == 3, timeout=30, message="3 applied")
    db.engine.dispose()


def _exams_process(tmp_path, config):
    path = tmp_path / "exams.yml"
    path.write_text(yaml.safe_dump(dict(config, OUTBOX_POLL_SECONDS=0.5)))
    env = dict(os.environ, CERTTRACK_ENV="test", PYTHONPATH=os.pathsep.join([str(SERVICE_DIR),
                                                       os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("nameko")), "run", "--config", str(path),
         "exams.service"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.slow
def test_consumer_killed_mid_batch_three_times_loses_and_repeats_nothing(
    tmp_path, exams_config, sittings, amqp_uri
):
    prefix = f"kill{uuid.uuid4().hex[:6]}"
    total = 600
    publish_all(amqp_uri, [("exam_result", b, b["event_id"]) for b in results(prefix, total)])
    for round_ in range(3):
        process = _exams_process(tmp_path, exams_config)
        before = sittings.count(prefix)
        # Let it get part-way through the batch, then kill it outright (also
        # when it made no progress: a process left behind would consume
        # what later tests publish).
        try:
            wait_for(lambda: sittings.count(prefix) >= min(total, before + 60), timeout=60,
                     interval=0.05, message=f"progress in round {round_}")
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(10)
    process = _exams_process(tmp_path, exams_config)
    try:
        wait_for(lambda: sittings.count(prefix) == total, timeout=180, interval=1,
                 message="every result after the kills")
    finally:
        process.terminate()
        process.wait(20)
    assert sittings.count(prefix) == total
    assert sittings.changes(prefix) == total


@pytest.mark.slow
def test_ten_percent_poison_is_dead_lettered_and_the_rest_applied(
    container_factory, exams_config, sittings, amqp_uri
):
    prefix = f"poison{uuid.uuid4().hex[:6]}"
    rng = random.Random(3)
    messages, poisoned = [], 0
    for body in results(prefix, 200):
        if rng.random() < 0.1:
            poisoned += 1
            bad = dict(body, result="fail")  # disagrees with its passing score
            messages.append(("exam_result", bad if poisoned % 2 else b"\x00not json", body["event_id"]))
        else:
            messages.append(("exam_result", body, body["event_id"]))
    container = container_factory(ExamsService, exams_config)
    container.start()
    publish_all(amqp_uri, messages)
    wait_for(lambda: sittings.count(prefix) == 200 - poisoned, timeout=120, interval=0.5)
    # Each dead letter is archived for staff (certtrack_shared/deadletters/) with its reason.
    ids = {mid for _, _, mid in messages}
    dead = wait_for(lambda: (found := [row for row in sittings.dead_letters(RESULT_QUEUE)
                                       if row.message_id in ids]) and len(found) >= poisoned
                    and found, timeout=30, message="every poison message archived")
    assert len(dead) == poisoned > 0
    assert all(row.reason.startswith("invalid message") for row in dead)
