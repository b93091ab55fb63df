#!/usr/bin/env python3
"""Development only: a demo candidate with exams, ready to log in.

`make run` (deploy/run_stack.py) runs this once the stack is ready. It goes
through the system's real paths, with no back door:

1. as a testing vendor, it publishes registrations and results for
   "Dana Demo" to `vendor.events` (pika, publisher confirms) — exams stores
   the sittings and identity creates the candidate; certs evaluates them;
2. as the candidate, it asks for a first-time login link, reads it from the
   development mailbox and sets the password; when the candidate already has
   a password that is not the kept one (after `make clean`, which deletes
   var/, or from a second checkout on a machine whose database already holds
   Dana Demo), it asks for a password reset link the same way, so the login
   it prints always works;
3. once certs shows CCNA active, it submits two continuing education
   activities as the candidate would (certs' `submit_ce_activity`, the call
   the Continuing Education page makes), and a staff member approves one
   with 12 credits (`approve_ce_activity`, as the staff console does); the
   other waits in the staff CE review queue.

What the demo shows (SITTINGS below):
- Certifications: CCNA active (passed 14 Mar 2025, recertified by the core
  exam 350-401 on 20 Feb 2026), the Enterprise Core Specialist active, CCNP
  Enterprise and CCIE Enterprise Infrastructure in progress (350-401 met; a
  concentration exam, the lab still needed), CyberOps Associate expired
  (passed 2021, never renewed);
- Continuing Education: 12 credits toward CCNA ("18 more CE credits, or …"),
  one approved and one pending activity.

The vendor event ids are fixed, so running it again changes nothing; the CE
activities are submitted only when the candidate has none. The password is
generated once and kept in var/dev_demo_password. A failure is reported and
otherwise ignored: the stack stays up without its demo.

Environment: CERTTRACK_ENV, AMQP_URI, VENDOR_AMQP_URI, DEV_MAILDIR, SITE_URL or
PORT, DEV_DEMO_PASSWORD_FILE (where the password is kept; default
var/dev_demo_password).
"""
from __future__ import annotations

import os
import re
import secrets
import sys
import base64
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path


from nameko.exceptions import RemoteError

from certtrack_shared import config
from certtrack_shared.contracts.vendor import ExamRegistrationV1, ExamResultV1
from certtrack_shared.devmail import DevMailbox
from certtrack_shared.rpc_client import cluster_rpc
from certtrack_shared.vendor_publisher import VendorPublisher

ROOT = Path(__file__).resolve().parent.parent
PASSWORD_FILE = ROOT / "var" / "dev_demo_password"
EMAIL = "dana.demo@example.com"
CANDIDATE = {"candidate_id": None, "first_name": "Dana", "last_name": "Demo", "email": EMAIL}
CENTER = {"id": "TC-88231", "name": "Online proctored", "country": "US"}
# (registration number, exam code, title, taken, score, passing score)
SITTINGS = [
    ("460000001", "200-301", "Implementing and Administering Cisco Solutions",
     "2025-03-14T09:30:00Z", 870, 825),
    ("460000002", "350-401", "Implementing Cisco Enterprise Network Core Technologies",
     "2025-11-02T13:00:00Z", 801, 825),
    ("460000003", "350-401", "Implementing Cisco Enterprise Network Core Technologies",
     "2026-02-20T08:15:00Z", 912, 825),
    # CyberOps Associate, never renewed: three years later it expired.
    ("460000004", "200-201", "Understanding Cisco Cybersecurity Operations Fundamentals",
     "2021-05-10T12:00:00Z", 905, 825),
]
# (title, provider, days before today it was completed, credits staff approve or None: left pending)
CE_ACTIVITIES = [
    ("Cisco Live Las Vegas: network automation track", "Cisco Live", 40, 12),
    ("Wireless design deep dive (webinar)", "Cisco Learning Network", 12, None),
]
# A one-page PDF stands in for the certificate of attendance: certs checks it by its content.
CE_DOCUMENT = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
               b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
               b"trailer << /Root 1 0 R >>\n%%EOF\n")
DEMO_STAFF = "demo-loader@certtrack.example"


def vendor_messages():
    for number, code, title, taken, score, passing in SITTINGS:
        yield "exam_registration", ExamRegistrationV1(
            schema_version=1, event_id=f"demo-registration-{number}", vendor="pearson_vue",
            program="cisco", registration_number=number, candidate=CANDIDATE,
            exam={"code": code, "title": title}, scheduled_at=taken,
        )
        yield "exam_result", ExamResultV1(
            schema_version=1, event_id=f"demo-result-{number}", vendor="pearson_vue",
            program="cisco", registration_number=number, candidate=CANDIDATE,
            exam={"code": code, "title": title}, taken_at=taken, score=score,
            passing_score=passing, result="pass" if score >= passing else "fail",
            test_center=CENTER,
        )


def kept_password() -> str:
    path = Path(os.environ.get("DEV_DEMO_PASSWORD_FILE") or PASSWORD_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # exclusive, owner-only: two stacks starting at once agree on one password
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
                f.write("Demo-" + secrets.token_urlsafe(12))
        except FileExistsError:
            time.sleep(0.2)  # the other writer's few bytes
    return path.read_text().strip()


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise TimeoutError(f"no {what} after {seconds:.0f} s")


def mailed_token(link: str, since: datetime) -> str:
    """The token of the newest `<site>/<link>/<token>` mail sent to the demo address after `since`."""
    def newest():
        for mail in DevMailbox(config.dev_maildir()).messages(limit=50):
            match = re.search(rf"/{link}/([A-Za-z0-9_-]{{20,}})", mail["text"])
            if EMAIL in mail["to"] and match and datetime.fromisoformat(mail["sent_at"]) >= since:
                return match.group(1)
        return None

    return wait_for(newest, 60, f"{link} mail in the dev mailbox")


def ensure_password(rpc, candidate: dict, password: str) -> None:
    """Make the kept password the candidate's, by the links a candidate would follow."""
    if not candidate.get("has_password"):
        asked = datetime.now(timezone.utc)
        rpc.identity.start_first_time_by_email(EMAIL)
        rpc.identity.complete_first_time(mailed_token("first-time", asked), password)
        return
    try:
        rpc.identity.authenticate(EMAIL, password)
        return
    except RemoteError as error:
        if error.exc_type != "InvalidCredentials":
            raise
    asked = datetime.now(timezone.utc)
    rpc.identity.request_password_reset(EMAIL)
    rpc.identity.reset_password(mailed_token("reset-password", asked), password)


def load(rpc, password: str) -> dict:
    # As the development vendor (run_stack's VENDOR_AMQP_URI): exams applies
    # only a registered vendor user's results (CONTRACTS.md §7).
    publisher = VendorPublisher(os.environ.get("VENDOR_AMQP_URI")
                          or "amqp://vendor-dev:vendor-dev@127.0.0.1:5672/")
    try:
        for key, message in vendor_messages():
            publisher.publish(key, message.model_dump(mode="json"), message.event_id)
    finally:
        publisher.close()
    candidate = wait_for(lambda: next(iter(rpc.identity.staff_search_candidates(EMAIL)), None),
                         60, "demo candidate from the vendor's report")
    ensure_password(rpc, candidate, password)
    continuing_education(rpc, candidate["candidate_id"])
    return candidate


def certs_standing(rpc, candidate_id: str) -> dict | None:
    """certs' certifications of the candidate by id; None until certs knows the candidate."""
    try:
        return {item["id"]: item for item in rpc.certs.certifications(candidate_id=candidate_id)["items"]}
    except Exception as error:  # noqa: BLE001 - CandidateNotFound until identity's event arrives
        if getattr(error, "exc_type", None) == "CandidateNotFound":
            return None
        raise


def continuing_education(rpc, candidate_id: str) -> None:
    """The demo's CE activities, once: certs must first have granted CCNA from the vendor's results."""
    wait_for(lambda: (certs_standing(rpc, candidate_id) or {}).get("ccna", {}).get("status") == "active",
             60, "active CCNA at certs")
    if rpc.certs.continuing_education(candidate_id=candidate_id)["items"]:
        return
    today = datetime.now(timezone.utc).date()
    for title, provider, days_ago, credits in CE_ACTIVITIES:
        activity = rpc.certs.submit_ce_activity(
            candidate_id=candidate_id, title=title, provider=provider,
            completed_on=(today - timedelta(days=days_ago)).isoformat(), kind="ce", certification_id=None,
            document={"filename": "certificate-of-attendance.pdf",
                      "data_b64": base64.b64encode(CE_DOCUMENT).decode("ascii")})
        if credits:
            rpc.certs.approve_ce_activity(activity_id=activity["id"], credits=credits, staff=DEMO_STAFF)


def main() -> int:
    if config.environment() != "development":
        return 0
    try:
        password = kept_password()
        with cluster_rpc(config.amqp_uri(), timeout=30) as rpc:
            candidate = load(rpc, password)
    except Exception as error:  # noqa: BLE001 - reported, never fatal to the stack
        print(f"could not load the demo candidate: {type(error).__name__}: {error}", flush=True)
        return 0
    print(f"demo candidate: {config.site_url().rstrip('/')}/login  login "
          f"{candidate['candidate_id']} (or {EMAIL}) / {password}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
