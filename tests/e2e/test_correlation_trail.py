"""One vendor result, followed by its correlation id through every service's
log and into the mail it caused (issue 17, item 4; decision 0033).

The vendor publishes a passing CCNA result with no header of ours, so its
correlation id is its own `event_id`: exams stores the sitting, certs
achieves CCNA, identity queues the result notice, fulfillment grants the kit
and transcripts records the sitting and the certification, each in a log of
JSON lines written by a separate process (two per service, as the e2e stack
runs). A request to the site with an `X-Request-ID` is followed the same way
into the service that answered its RPC.
"""
from __future__ import annotations

import json
import mailbox
import uuid
from pathlib import Path

import requests

from tests.e2e.test_testing_history import CCNA, vendor_sends
from tests.harness.messages import wait_for
from tests.harness.vendor import registration, result

SERVICES = ("exams", "certs", "identity", "fulfillment", "transcripts")


def json_lines(log_dir: Path):
    """Every JSON line in the stack's logs (each process writes its own file);
    a line that is not JSON (a third party's, a warning) is skipped."""
    for path in sorted(log_dir.glob("*.log")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    yield json.loads(line)
                except ValueError:
                    continue


def services_logging(log_dir: Path, correlation_id: str) -> set[str]:
    """The services (as each line names its writer) that logged this correlation."""
    return {record.get("service") for record in json_lines(log_dir)
            if record.get("correlation_id") == correlation_id
            or correlation_id in (record.get("correlation_ids") or ())}


def handlers_of(log_dir: Path, correlation_id: str) -> set[str]:
    """The event handlers that logged handling a message of this correlation."""
    return {record["message"].split(" ", 1)[0] for record in json_lines(log_dir)
            if record.get("correlation_id") == correlation_id and " handled " in record["message"]}


def mails_in(stack, correlation_id: str) -> list:
    box = mailbox.Maildir(str(stack.maildir), factory=None, create=False)
    return [message for message in box
            if message.get("X-CertTrack-Correlation-Id") == correlation_id]


def test_one_vendor_result_is_found_by_its_correlation_id_in_every_service_and_its_mail(
        stack, amqp_uri):
    email = f"grace.{uuid.uuid4().hex[:10]}@example.com"
    number = str(uuid.uuid4().int)[:9]
    log_dir = stack.folder / "log"
    registered = registration(number, email=email, exam=CCNA)
    vendor_sends(amqp_uri, "exam_registration", registered)
    # The registration's own trail first: identity makes the candidate and
    # links the registration to them, all under the registration's id.
    wait_for(lambda: "exams.handle_registration_linked" in handlers_of(log_dir, registered["event_id"]),
             timeout=60, interval=1, message="exams to hear that identity linked the registration")

    passed = result(number, email=email, exam=CCNA)
    vendor_sends(amqp_uri, "exam_result", passed)
    correlation_id = passed["event_id"]

    wait_for(lambda: set(SERVICES) <= services_logging(log_dir, correlation_id), timeout=90,
             interval=1, message=f"every one of {SERVICES} to log {correlation_id}")
    records = [record for record in json_lines(log_dir)
               if record.get("correlation_id") == correlation_id]
    # The registration is its own correlation: none of its lines is filed under the result's id.
    assert not [record for record in records if record.get("event_id") == registered["event_id"]]
    assert [record for record in json_lines(log_dir)
            if record.get("event_id") == registered["event_id"]
            and record.get("correlation_id") == registered["event_id"]]
    handled = {(record["service"], record.get("event_type")) for record in records
               if record["message"].startswith(f"{record['service']}.handle_")}
    assert {("exams", "exam_result"), ("certs", "exam_passed"),
            ("identity", "exam_results_available"), ("transcripts", "exam_passed"),
            ("fulfillment", "certification_achieved")} <= handled

    # The mails it caused carry it in a header, and the line that sent them.
    mails = wait_for(lambda: len(mails_in(stack, correlation_id)) >= 2 and mails_in(stack, correlation_id),
                     timeout=60, interval=1, message=f"the mails of {correlation_id}")
    subjects = sorted(message["Subject"] for message in mails)
    assert any("you are now" in subject for subject in subjects), subjects
    assert any("claim your certificate kit" in subject for subject in subjects), subjects
    assert all(message["To"] == email for message in mails)
    sent_lines = [record for record in records if record["message"].startswith("sent mail ")]
    assert {record["service"] for record in sent_lines} >= {"certs", "fulfillment"}


def test_a_site_request_id_is_answered_and_followed_into_the_service_it_asked(stack):
    request_id = f"trail-{uuid.uuid4().hex}"
    answer = requests.post(f"{stack.url}/api/v1/auth/first-time",
                           json={"email": f"nobody.{uuid.uuid4().hex[:8]}@example.com"},
                           headers={"X-Request-ID": request_id}, timeout=10)
    assert answer.status_code == 202
    assert answer.headers["X-Request-ID"] == request_id
    log_dir = stack.folder / "log"
    wait_for(lambda: {"gateway", "identity"} <= services_logging(log_dir, request_id), timeout=30,
             interval=1, message=f"the gateway and identity to log {request_id}")

    # Through the gateway to the transcripts web app, which answers verifications.
    verification_id = f"trail-{uuid.uuid4().hex}"
    missing = requests.get(f"{stack.url}/verify/NO-SUCH-CODE", headers={"X-Request-ID": verification_id},
                           timeout=10)
    assert missing.status_code < 500
    assert missing.headers["X-Request-ID"] == verification_id
    wait_for(lambda: {"gateway", "transcripts.public_web"} <= services_logging(log_dir, verification_id),
             timeout=30, interval=1, message=f"the gateway and the transcripts web app to log {verification_id}")

    # An id that could forge a log line or a header is not taken: the request gets its own.
    forged = requests.get(f"{stack.url}/healthz", headers={"X-Request-ID": "a\" b\\n{x}" + "z" * 200},
                          timeout=10)
    assert forged.headers["X-Request-ID"] != "a\" b\\n{x}" + "z" * 200
    assert len(forged.headers["X-Request-ID"]) == 32
