"""What a candidate sees is what certs announced (decision 0021): the pages,
the downloads' certificate verification and the events read one persisted
standing, which only facts, the daily run and a catalog reload change."""
from __future__ import annotations

import json
import shutil

from sqlalchemy import text

from tests.harness.messages import capture_queue, drain

from certs.catalog import CATALOG_DIR
from services.certs.tests.events import passed

CSCO = "CSCO10000001"
ANNOUNCEMENTS = ("certification_achieved", "certification_recertified", "certification_expired",
                 "certification_revoked")


def capture_announcements(amqp_uri) -> str:
    return capture_queue(amqp_uri, "certs.events", *ANNOUNCEMENTS)


def last_announced(amqp_uri, queue) -> dict:
    """certification id → its last event (highest revision) among those announced since the last call."""
    events = [json.loads(m["body"]) for m in drain(amqp_uri, queue)]
    last = {}
    for event in sorted(events, key=lambda e: e["revision"]):
        last[event["certification_id"]] = event
    return last


def shown(rpc, candidate_id=CSCO) -> dict:
    return {item["id"]: item for item in rpc.certifications(candidate_id)["items"]}


def period(standing: dict) -> tuple:
    return standing["status"], standing["active_on"], standing["expires_on"]


def test_after_results_every_certification_shows_as_last_announced(start_certs, certs_amqp, certs_db, rpc):
    queue = capture_announcements(certs_amqp)
    start_certs(today="2026-06-01")
    passed(certs_amqp, certs_db, CSCO, "200-301", "2023-06-20")  # CCNA, until 2026-06-20
    passed(certs_amqp, certs_db, CSCO, "350-401", "2026-03-01")  # renews CCNA; CCNP under way
    passed(certs_amqp, certs_db, CSCO, "300-410", "2026-04-01")  # CCNP Enterprise

    announced = last_announced(certs_amqp, queue)
    assert {"ccna", "ccnp_enterprise"} <= set(announced)
    pages = shown(rpc)
    for certification_id, event in announced.items():
        assert period(pages[certification_id]) == period(event), certification_id
        assert period(rpc.certification(CSCO, certification_id)) == period(event), certification_id
    held = {cid for cid, item in pages.items() if item["status"] != "in_progress"}
    assert held == {cid for cid, event in announced.items() if event["status"] != "in_progress"}


def test_a_moved_clock_shows_the_announced_standing_until_the_day_is_run(start_certs, certs_amqp, certs_db, rpc):
    queue = capture_announcements(certs_amqp)
    first = start_certs(today="2026-06-01")
    passed(certs_amqp, certs_db, CSCO, "200-301", "2023-06-10")  # CCNA, until 2026-06-10
    [achieved] = last_announced(certs_amqp, queue).values()
    first.stop()

    start_certs(today="2026-06-12")  # the clock moved past the expiry; the day is not run yet
    ccna = shown(rpc)["ccna"]
    assert period(ccna) == period(achieved) == ("active", "2023-06-10", "2026-06-10")
    assert rpc.verify_certificate(ccna["certificate_code"])["status"] == "active"
    assert last_announced(certs_amqp, queue) == {}

    assert rpc.run_daily()["expired"] == 1  # the clock's day
    [expired] = last_announced(certs_amqp, queue).values()
    assert period(shown(rpc)["ccna"]) == period(expired) == ("expired", "2023-06-10", "2026-06-10")
    assert rpc.verify_certificate(ccna["certificate_code"])["status"] == "expired"


def test_a_catalog_edited_on_disk_shows_once_the_reload_announces_it(
        start_certs, certs_amqp, certs_db, rpc, tmp_path):
    for path in CATALOG_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    queue = capture_announcements(certs_amqp)
    first = start_certs(today="2026-06-01", CERTS_CATALOG_DIR=str(tmp_path))
    passed(certs_amqp, certs_db, CSCO, "200-301", "2026-03-02")
    [achieved] = last_announced(certs_amqp, queue).values()
    first.stop()

    # CCNA valid five years instead of three, read by the restarted process but not reloaded yet.
    cisco = tmp_path / "cisco.yaml"
    original = cisco.read_text()
    start = original.index("id: ccna\n")
    cisco.write_text(original[:start] + original[start:].replace("validity_years: 3", "validity_years: 5", 1))
    start_certs(today="2026-06-01", CERTS_CATALOG_DIR=str(tmp_path))
    assert period(shown(rpc)["ccna"]) == period(achieved) == ("active", "2026-03-02", "2029-03-02")

    rpc.reload_catalog("catalog.admin@example.com")
    [recertified] = last_announced(certs_amqp, queue).values()
    assert period(shown(rpc)["ccna"]) == period(recertified) == ("active", "2026-03-02", "2031-03-02")


def test_a_candidate_without_a_readable_kept_evaluation_is_evaluated_once_when_read(
        start_certs, certs_amqp, certs_db, rpc):
    queue = capture_announcements(certs_amqp)
    start_certs(today="2026-06-01")
    passed(certs_amqp, certs_db, CSCO, "200-301", "2026-03-02")
    [achieved] = last_announced(certs_amqp, queue).values()
    for forget in ("DELETE FROM candidate_evaluations",  # evaluated before evaluations were kept
                   "UPDATE candidate_evaluations SET evaluation = '{\"as_of\": \"2026-06-01\"}'"):  # old shape
        with certs_db.begin() as connection:
            connection.execute(text(forget))

        assert period(shown(rpc)["ccna"]) == period(achieved)
        assert last_announced(certs_amqp, queue) == {}  # the same standing: nothing to announce again
        with certs_db.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM candidate_evaluations")).scalar_one() == 1
