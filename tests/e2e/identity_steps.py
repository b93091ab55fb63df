"""Steps the identity end-to-end tests share: ask identity by RPC, make a
candidate as a vendor report would, read a link from the dev mailbox."""
from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone

import requests
from nameko.standalone.rpc import ClusterRpcProxy

from certtrack_shared.contracts.exams import CandidateReportedV1
from tests.harness.messages import publish_raw, wait_for

FIRST_TIME_LINK = re.compile(r"https?://[^\s\"'<>]+/first-time/[A-Za-z0-9_-]{20,}")


@contextmanager
def identity_rpc(amqp_uri):
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
        yield rpc.identity


def report_candidate(amqp_uri, email: str, first_name="Ada", last_name="Lovelace") -> str:
    """What exams publishes when a vendor names someone; identity creates the candidate.
    Returns the new candidate's ID."""
    event = CandidateReportedV1(
        schema_version=1, event_id=f"e2e-{uuid.uuid4()}", occurred_at=datetime.now(timezone.utc),
        vendor="pearson_vue", program="cisco", registration_number=str(uuid.uuid4().int)[:9],
        candidate={"candidate_id": None, "first_name": first_name, "last_name": last_name, "email": email},
    )
    body = event.model_dump(mode="json")
    publish_raw(amqp_uri, "exams.events", CandidateReportedV1.event_type, body, message_id=event.event_id)
    with identity_rpc(amqp_uri) as identity:
        found = wait_for(lambda: identity.staff_search_candidates(query=email), timeout=30,
                         message=f"identity to create the candidate {email}")
    return found[0]["candidate_id"]


def mailed_link(stack, address: str, pattern=FIRST_TIME_LINK) -> str:
    """The link of the newest mail to `address` that has one, read at /dev/mail.json."""

    def newest_link():
        for mail in requests.get(f"{stack.url}/dev/mail.json", timeout=5).json():  # newest first
            if address in mail["to"]:
                found = pattern.search(mail["text"] or "") or pattern.search(mail["html"] or "")
                if found:
                    return found.group()
        return None

    return wait_for(newest_link, timeout=30, message=f"a mail with a link to {address}")
