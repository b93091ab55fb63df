#!/usr/bin/env python3
"""A testing vendor: publishes realistic registrations and results to
`vendor.events` the way CONTRACTS.md §2 says vendors do — with pika,
publisher confirms and `mandatory=true` (certtrack_shared.vendor_publisher).

    python deploy/vendor_simulator.py --count 200 --candidates 50 --rate 20
    python deploy/vendor_simulator.py --bad-fraction 0.1   # mix in invalid messages

Messages are built from the contract models (certtrack_shared.contracts),
so what it sends is valid by construction unless it means to break it.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

from certtrack_shared.contracts.vendor import ExamRegistrationV1, ExamResultV1
from certtrack_shared.vendor_publisher import VendorPublisher

EXAMS = [
    ("100-150", "Cisco Certified Support Technician Networking", 700, 1000),
    ("200-301", "Implementing and Administering Cisco Solutions", 825, 1000),
    ("200-201", "Understanding Cisco Cybersecurity Operations Fundamentals", 750, 1000),
    ("200-901", "Developing Applications and Automating Workflows using Cisco Platforms", 825, 1000),
    ("350-401", "Implementing Cisco Enterprise Network Core Technologies", 825, 1000),
    ("300-410", "Implementing Cisco Enterprise Advanced Routing and Services", 825, 1000),
    ("300-415", "Implementing Cisco SD-WAN Solutions", 825, 1000),
    ("300-420", "Designing Cisco Enterprise Networks", 825, 1000),
]
FIRST = ["John", "Ana", "Wei", "Priya", "Lars", "Fatima", "Diego", "Yuki", "Olu", "Marta"]
LAST = ["Doe", "Silva", "Chen", "Patel", "Berg", "Haddad", "Lopez", "Sato", "Adeyemi", "Nowak"]
CENTERS = [("TC-88231", "Online proctored", "US"), ("TC-10442", "Pearson VUE Amsterdam", "NL"),
           ("TC-55120", "Pearson VUE Bangalore", "IN"), ("TC-20981", "Pearson VUE Sao Paulo", "BR")]


class Candidate:
    def __init__(self, index: int, rng: random.Random, run: str):
        self.first = rng.choice(FIRST)
        self.last = rng.choice(LAST)
        self.email = f"{self.first}.{self.last}.{run}{index}@example.com".lower()

    def as_vendor(self):
        return {"candidate_id": None, "first_name": self.first, "last_name": self.last,
                "email": self.email}


def sitting_messages(candidate: Candidate, rng: random.Random, now: datetime):
    """A registration and its result for one sitting of one candidate."""
    code, title, passing, top = rng.choice(EXAMS)
    number = f"4{rng.randrange(10**8, 10**9)}"
    scheduled = now - timedelta(days=rng.randrange(1, 60), hours=rng.randrange(0, 8))
    registration = ExamRegistrationV1(
        schema_version=1, event_id=f"pv-{uuid.uuid4()}", vendor="pearson_vue", program="cisco",
        registration_number=number, candidate=candidate.as_vendor(),
        exam={"code": code, "title": title}, scheduled_at=scheduled,
    )
    score = min(top, max(300, int(rng.gauss(passing + 20, 80))))
    center = rng.choice(CENTERS)
    result = ExamResultV1(
        schema_version=1, event_id=f"pv-{uuid.uuid4()}", vendor="pearson_vue", program="cisco",
        registration_number=number, candidate=candidate.as_vendor(),
        exam={"code": code, "title": title}, taken_at=scheduled + timedelta(hours=2),
        score=score, passing_score=passing, result="pass" if score >= passing else "fail",
        test_center={"id": center[0], "name": center[1], "country": center[2]},
    )
    return [("exam_registration", registration.model_dump(mode="json")),
            ("exam_result", result.model_dump(mode="json"))]


def spoil(key: str, body: dict, rng: random.Random) -> tuple[str, bytes | dict]:
    """An invalid message of the kinds vendors really send."""
    broken = dict(body)
    kind = rng.choice(["disagreeing", "missing", "version", "not-json", "bad-email"])
    if kind == "disagreeing" and key == "exam_result":
        broken["result"] = "fail" if body["result"] == "pass" else "pass"
    elif kind == "missing":
        broken.pop("exam", None)
    elif kind == "version":
        broken["schema_version"] = 99
    elif kind == "bad-email":
        broken["candidate"] = dict(body["candidate"], email="not-an-email")
    else:
        return key, b"{truncated" + json.dumps(body).encode()[:40]
    return key, broken


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amqp-uri", default="amqp://vendor-dev:vendor-dev@127.0.0.1:5672/",
                        help="the vendor's broker user (default: the development vendor, "
                        "registered for pearson_vue: cisco, juniper)")
    parser.add_argument("--count", type=int, default=20, help="sittings to publish")
    parser.add_argument("--candidates", type=int, default=5)
    parser.add_argument("--rate", type=float, default=0, help="messages per second (0: flat out)")
    parser.add_argument("--bad-fraction", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--results-only", action="store_true",
                        help="publish only results (matching falls back to email)")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    run = uuid.uuid4().hex[:6]
    candidates = [Candidate(i, rng, run) for i in range(max(1, args.candidates))]
    publisher = VendorPublisher(args.amqp_uri)
    now = datetime.now(timezone.utc)
    sent = bad = 0
    started = time.monotonic()
    try:
        for _ in range(args.count):
            for key, body in sitting_messages(rng.choice(candidates), rng, now):
                if args.results_only and key != "exam_result":
                    continue
                event_id = body["event_id"]
                if rng.random() < args.bad_fraction:
                    key, body = spoil(key, body, rng)
                    bad += 1
                publisher.publish(key, body, event_id)
                sent += 1
                if args.rate:
                    delay = started + sent / args.rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
    finally:
        publisher.close()
    elapsed = time.monotonic() - started
    print(f"vendor simulator: {sent} messages confirmed ({bad} invalid) for "
          f"{len(candidates)} candidates in {elapsed:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
