"""Staff see the catalog; a reload refuses a bad file and re-evaluates on a good one."""
from __future__ import annotations

import json
import shutil

import pytest
from nameko.exceptions import RemoteError

from tests.harness.messages import capture_queue, drain

from certs.catalog import CATALOG_DIR
from services.certs.tests.events import passed

CSCO = "CSCO10000001"


def test_catalog_lists_both_programs_with_readable_requirements(start_certs, rpc):
    start_certs()
    programs = {p["program"]: p for p in rpc.catalog()["programs"]}
    assert set(programs) == {"cisco", "juniper"}
    ccnp = next(c for c in programs["cisco"]["certifications"] if c["id"] == "ccnp_enterprise")
    assert "350-401" in ccnp["requirements"] and ccnp["validity_years"] == 3
    assert any(p["name"] == "80 CE credits" for p in ccnp["recertification"])
    assert programs["cisco"]["source"] == "cisco.yaml"
    assert any(e["code"] == "200-301" for e in programs["cisco"]["exams"])


def test_reload_keeps_the_old_catalog_on_error_and_reevaluates_on_success(
        start_certs, rpc, certs_amqp, certs_db, tmp_path):
    for path in CATALOG_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    start_certs(today="2026-06-01", CERTS_CATALOG_DIR=str(tmp_path))
    recertified = capture_queue(certs_amqp, "certs.events", "certification_recertified")
    passed(certs_amqp, certs_db, CSCO, "200-301", "2026-03-02")

    cisco = tmp_path / "cisco.yaml"
    original = cisco.read_text()
    cisco.write_text(original.replace('requirements: {exam: "200-301"}', 'requirements: {exam: "200-999"}', 1))
    with pytest.raises(RemoteError) as refused:
        rpc.reload_catalog("catalog.admin@example.com")
    assert refused.value.exc_type == "CatalogInvalid"
    message = json.loads(refused.value.value)["message"]
    assert "cisco.yaml, line" in message and "200-999" in message
    assert rpc.certifications(CSCO)["items"][0]["status"] == "active"  # the old catalog still runs

    # CCNA valid five years instead of three: the period's end moves.
    start = original.index("id: ccna\n")
    edited = original[:start] + original[start:].replace("validity_years: 3", "validity_years: 5", 1)
    cisco.write_text(edited)
    reply = rpc.reload_catalog("catalog.admin@example.com")
    assert reply == {"programs": ["cisco", "juniper"], "candidates_reevaluated": 1, "changes": 1}
    [event] = [json.loads(m["body"]) for m in drain(certs_amqp, recertified)]
    assert (event["certification_id"], event["expires_on"], event["revision"]) == ("ccna", "2031-03-02", 2)
    assert rpc.certifications(CSCO)["items"][0]["expires_on"] == "2031-03-02"
