"""deploy/vendor_simulator.py, run as a person runs it, against a vhost of its own:
what it publishes is what its flags ask for, and what it calls valid is valid."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from certtrack_shared.contracts import parse_message
from certtrack_shared.broker_identities import DEV_VENDOR
from tests.harness.broker import Vhost
from tests.harness.messages import capture_queue, drain

SIMULATOR = Path(__file__).resolve().parent.parent / "deploy" / "vendor_simulator.py"


@pytest.fixture
def vhost():
    vhost = Vhost().create()
    yield vhost
    vhost.delete()


def simulate(vhost, *flags) -> tuple[str, list[dict]]:
    """The simulator's closing line and every message it published."""
    captured = capture_queue(vhost.amqp_uri, "vendor.events", "#")
    # As a vendor runs it: as its own broker user, which may only publish to vendor.events.
    vendor_uri = vhost.uri_as(DEV_VENDOR.name, DEV_VENDOR.password)
    run = subprocess.run([sys.executable, str(SIMULATOR), "--amqp-uri", vendor_uri, *flags],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    messages = drain(vhost.amqp_uri, captured, quiet_seconds=0.5)
    # Exams applies a vendor message only with its publisher's user_id (CONTRACTS.md §7).
    assert {m["properties"].get("user_id") for m in messages} <= {DEV_VENDOR.name}
    return run.stdout.strip(), messages


def parsed(message):
    try:
        return parse_message("vendor.events", message["routing_key"], message["body"])
    except ValueError:
        return None


def test_count_and_candidates_give_a_registration_and_a_result_per_sitting(vhost):
    summary, messages = simulate(vhost, "--count", "30", "--candidates", "4", "--seed", "7")

    assert summary.startswith("vendor simulator: 60 messages confirmed (0 invalid) for 4 candidates")
    events = [parsed(message) for message in messages]
    assert None not in events  # valid by construction
    kinds = [message["routing_key"] for message in messages]
    assert kinds.count("exam_registration") == kinds.count("exam_result") == 30
    assert len({event.candidate.email for event in events}) <= 4
    for message, event in zip(messages, events):
        assert message["message_id"] == event.event_id
        assert message["properties"]["delivery_mode"] == 2
    # Each result belongs to a registration published before it.
    registered = set()
    for event in events:
        if event.event_type == "exam_registration":
            registered.add(event.registration_number)
        else:
            assert event.registration_number in registered


def test_bad_fraction_mixes_in_invalid_messages_the_consumer_would_dead_letter(vhost):
    summary, messages = simulate(vhost, "--count", "100", "--bad-fraction", "0.3", "--seed", "11")

    invalid = [message for message in messages if parsed(message) is None]
    reported = int(summary.split("(")[1].split(" invalid")[0])
    assert len(messages) == 200 and reported == len(invalid)
    assert 30 <= len(invalid) <= 90  # about 30% of 200, whatever the seed's luck
    assert any(not message["body"].startswith(b"{\"") for message in invalid)  # a broken JSON body among them


def test_rate_paces_the_messages(vhost):
    summary, messages = simulate(vhost, "--count", "10", "--rate", "40", "--results-only")

    assert len(messages) == 10 and {message["routing_key"] for message in messages} == {"exam_result"}
    seconds = float(summary.rsplit(" in ", 1)[1].rstrip("s"))
    assert seconds >= 9 / 40  # ten messages at 40/s: the last one a quarter second after the first
    assert all(json.loads(message["body"])["candidate"]["candidate_id"] is None for message in messages)
