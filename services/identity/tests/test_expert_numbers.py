"""certs announces a first CCIE/CCDE number; identity records it read-only."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from tests.harness.messages import capture_queue, drain, publish_raw, wait_for

from services.identity.tests.support import unique_email


def assigned(candidate_id: str, number: str, series: str = "CCIE") -> dict:
    return {"schema_version": 1, "event_id": f"certs-{uuid.uuid4()}",
            "occurred_at": datetime.now(timezone.utc).isoformat(),
            "candidate_id": candidate_id, "series": series, "number": number}


def test_an_assigned_expert_number_becomes_the_candidates_attribute_once(rpc, amqp_uri):
    updates = capture_queue(amqp_uri, "identity.events", "candidate_profile_updated")
    ada = rpc.staff_create_candidate(program="cisco", first_name="Ada", last_name="Lovelace",
                                     email=unique_email("expert"))
    candidate_id = ada["candidate_id"]
    body = assigned(candidate_id, "70001")
    publish_raw(amqp_uri, "certs.events", "expert_number_assigned", body, body["event_id"])
    wait_for(lambda: rpc.get_profile(candidate_id=candidate_id)["ccie_number"] == "70001")

    # A later, different number for the same series does not replace it; CCDE is its own.
    for later in (assigned(candidate_id, "70002"), assigned(candidate_id, "20250001", series="CCDE")):
        publish_raw(amqp_uri, "certs.events", "expert_number_assigned", later, later["event_id"])
    wait_for(lambda: rpc.get_profile(candidate_id=candidate_id)["ccde_number"] == "20250001")
    profile = rpc.get_profile(candidate_id=candidate_id)
    assert (profile["ccie_number"], profile["ccde_number"]) == ("70001", "20250001")
    changed = sorted(json.loads(m["body"])["changed"][0] for m in drain(amqp_uri, updates))
    assert changed == ["ccde_number", "ccie_number"]
