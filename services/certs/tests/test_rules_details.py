"""What the engine reports beyond status: progress, what each recertification
path still needs, history, CE credits consumed, and its policy decisions
(docs/decisions/0004-certification-rules.md)."""
import json
from datetime import date

import pytest

from certs.catalog import parse_catalog
from certs.rules import Sitting, add_years, evaluate
from services.certs.tests.support import CATALOGS, ce, course, passed, revoked, standing_of, summary
from services.certs.tests.test_catalog import GOOD

CCNP_CONCENTRATIONS = "300-410, 300-415, 300-420, 300-425, 300-430, 300-435, 300-440, 300-445"


@pytest.mark.parametrize("day, years, expected", [
    (date(2024, 1, 15), 3, date(2027, 1, 15)),
    (date(2024, 2, 29), 3, date(2027, 2, 28)),
    (date(2024, 2, 29), 4, date(2028, 2, 29)),
    (date(2023, 12, 31), 3, date(2026, 12, 31)),
])
def test_a_validity_ends_on_the_same_calendar_day_and_feb_29_on_feb_28(day, years, expected):
    assert add_years(day, years) == expected


def test_progress_names_the_sitting_that_met_a_requirement_and_what_remains():
    standing = standing_of("cisco", [passed("350-401", "2024-01-10")], "2024-06-01").certification("ccnp_enterprise")
    core, concentration = standing.progress
    assert (core.met, core.sitting_ids, core.met_on) == (True, [1], date(2024, 1, 10))
    assert core.description == "Pass 350-401 (Implementing Cisco Enterprise Network Core Technologies)"
    assert (concentration.met, concentration.sitting_ids) == (False, [])
    assert concentration.description == f"Pass one of {CCNP_CONCENTRATIONS}"
    assert concentration.still_needed == f"one of {CCNP_CONCENTRATIONS}"
    assert (standing.status, standing.started_on) == ("in_progress", date(2024, 1, 10))
    assert standing.touched


def test_an_untouched_certification_is_in_progress_without_a_start():
    standing = standing_of("cisco", [passed("200-301", "2024-01-10")], "2024-06-01").certification("devnet_associate")
    assert (standing.status, standing.started_on, standing.touched) == ("in_progress", None, False)


def test_started_on_is_the_first_counted_sitting_of_the_achievement():
    evaluation = standing_of("cisco", [passed("300-420", "2023-05-01"), passed("350-401", "2024-01-10")], "2024-06-01")
    standing = evaluation.certification("ccnp_enterprise")
    assert (standing.started_on, standing.active_on) == (date(2023, 5, 1), date(2024, 1, 10))


def test_a_prerequisite_is_a_progress_item():
    standing = standing_of("juniper", [passed("JN0-351", "2024-01-10")], "2024-06-01").certification("jncis_ent")
    assert [(p.description, p.met, p.still_needed) for p in standing.progress] == [
        ("Pass JN0-351 (Enterprise Routing and Switching, Specialist (JNCIS-ENT))", True, None),
        ("Hold an active JNCIA-Junos", False, "an active JNCIA-Junos"),
    ]


def test_each_recertification_path_says_what_it_still_needs():
    evaluation = standing_of("cisco", [passed("350-401", "2022-01-05"), passed("300-410", "2022-03-01"),
                                       ce(38, "2023-01-01")], "2024-06-01")
    standing = evaluation.certification("ccnp_enterprise")
    assert [(p.name, p.still_needed) for p in standing.recertification] == [
        ("80 CE credits", "42 more CE credits"),
        ("40 CE credits and one professional exam", "2 more CE credits + one professional exam"),
        ("A core exam", "one core exam"),
        ("Two concentration exams", "two concentration exams"),
        ("A CCIE lab exam", "one expert lab exam"),
    ]
    assert standing.recertification_summary.startswith("42 more CE credits, or 2 more CE credits + one professional exam, or")
    assert standing.ce_credits_available == 38


def test_one_of_two_concentration_exams_is_counted_toward_the_path():
    evaluation = standing_of("cisco", [passed("350-401", "2022-01-05"), passed("300-410", "2022-03-01"),
                                       passed("300-425", "2023-01-01"), passed("300-425", "2023-06-01")], "2024-06-01")
    path = evaluation.certification("ccnp_enterprise").recertification[3]
    # the same exam passed twice is one exam: the path wants two distinct ones
    assert (path.still_needed, path.sitting_ids) == ("one more concentration exam", [3])
    assert summary(evaluation, "ccnp_enterprise") == ("active", "2022-03-01", "2025-03-01")


def test_history_tells_achieved_recertified_and_expired_and_the_credits_used():
    evaluation = standing_of("cisco", [passed("200-301", "2019-01-10"), ce(20, "2020-05-01"), ce(20, "2021-03-01"),
                                       passed("300-410", "2022-06-01")], "2026-01-01")
    history = evaluation.certification("ccna").history
    assert [(h.event, h.on, h.expires_on, h.path) for h in history] == [
        ("achieved", date(2019, 1, 10), date(2022, 1, 10), None),
        ("recertified", date(2021, 3, 1), date(2024, 3, 1), "30 CE credits"),
        ("recertified", date(2022, 6, 1), date(2025, 6, 1), "Any professional concentration exam"),
        ("expired", date(2025, 6, 1), None, None),
    ]
    # ids: sittings first (1, 2), then CE activities (3, 4); credits are consumed oldest first
    assert [(u.activity_id, u.credits) for u in history[1].ce_used] == [(3, 20), (4, 10)]
    assert [(b.activity_id, b.remaining) for b in evaluation.ce_activities] == [(3, 0), (4, 10)]
    assert history[2].sitting_ids == [2]


def test_credits_consumed_by_one_certification_do_not_renew_another():
    evaluation = standing_of("cisco", [passed("200-301", "2022-01-01"), passed("200-201", "2022-01-01"),
                                       ce(40, "2023-02-01")], "2024-01-01")
    assert summary(evaluation, "ccna") == ("active", "2023-02-01", "2026-02-01")
    cyberops = evaluation.certification("cyberops_associate")
    assert summary(evaluation, "cyberops_associate") == ("active", "2022-01-01", "2025-01-01")
    assert cyberops.recertification[-1].still_needed == "20 more CE credits"


def test_the_path_spending_fewest_credits_wins():
    evaluation = standing_of("cisco", [passed("350-401", "2022-01-05"), passed("CCIE-EI-LAB", "2022-03-01"),
                                       ce(80, "2023-01-01"), passed("350-401", "2023-05-05")], "2024-06-01")
    renewal = evaluation.certification("ccie_enterprise_infrastructure").history[-1]
    assert (renewal.on, renewal.path, [u.credits for u in renewal.ce_used]) == (
        date(2023, 5, 5), "40 CE credits and a core exam", [40])
    assert evaluation.ce_activities[0].remaining == 40


def test_an_exam_path_spends_no_credits_when_it_can():
    evaluation = standing_of("cisco", [passed("350-401", "2022-01-05"), passed("300-410", "2022-03-01"),
                                       ce(80, "2023-01-01"), passed("350-401", "2023-01-01")], "2024-06-01")
    renewal = evaluation.certification("ccnp_enterprise").history[-1]
    assert (renewal.path, renewal.ce_used) == ("A core exam", [])
    assert evaluation.ce_activities[0].remaining == 80


def test_credits_go_to_the_highest_certification_that_renews_the_others():
    facts = [passed("350-401", "2022-01-05"), passed("300-410", "2022-03-01"), ce(40, "2023-02-01")]
    evaluation = standing_of("cisco", facts, "2023-06-01")
    specialist = evaluation.certification("specialist_enterprise_core")
    assert (specialist.status, specialist.active_on, specialist.covered_by) == ("active", date(2022, 3, 1), "ccnp_enterprise")
    assert specialist.recertification[0].deferred_to == "ccnp_enterprise"
    assert specialist.recertification_summary == "exam 350-401, or recertifying CCNP Enterprise"
    evaluation = standing_of("cisco", facts + [ce(40, "2024-01-01")], "2024-06-01")
    for cid in ("ccnp_enterprise", "specialist_enterprise_core", "specialist_enterprise_advanced_infrastructure_implementation"):
        assert summary(evaluation, cid) == ("active", "2024-01-01", "2027-01-01")


def test_a_lower_certification_spends_its_credits_once_the_higher_has_lapsed():
    evaluation = standing_of("cisco", [passed("350-401", "2020-06-01"), passed("300-410", "2020-06-01"),
                                       passed("200-301", "2021-01-10"), ce(30, "2022-05-01")], "2024-01-01")
    assert summary(evaluation, "ccnp_enterprise") == ("expired", "2020-06-01", "2023-06-01")
    # CCNA was covered by CCNP until it lapsed; its credits then renewed it that day
    assert summary(evaluation, "ccna") == ("active", "2023-06-01", "2026-06-01")


def test_a_revoked_certification_names_the_revoked_sitting():
    standing = standing_of("cisco", [revoked("200-301", "2024-01-10")], "2024-06-01").certification("ccna")
    assert (standing.status, standing.started_on, standing.active_on) == ("revoked", None, None)
    assert [(h.event, h.on, h.sitting_ids) for h in standing.history] == [("revoked", None, [1])]
    assert standing.progress[0].met is False


def test_a_certification_lost_with_its_prerequisite_is_revoked_too():
    evaluation = standing_of("juniper", [revoked("JN0-105", "2023-01-10"), passed("JN0-351", "2023-02-01")], "2024-01-01")
    assert summary(evaluation, "jncia_junos") == ("revoked", None, None)
    assert summary(evaluation, "jncis_ent") == ("revoked", None, None)
    assert evaluation.certification("jncis_ent").history[0].sitting_ids == []


def test_a_course_completion_renews_only_the_certification_it_is_mapped_to_and_lower():
    evaluation = standing_of("juniper", [passed("JN0-105", "2021-01-01"), passed("JN0-351", "2021-06-01"),
                                         course("jncis_ent", "2023-03-01")], "2023-06-01")
    assert evaluation.certification("jncis_ent").history[-1].course_ids == [3]
    assert summary(evaluation, "jncia_junos") == ("active", "2023-03-01", "2026-03-01")
    assert evaluation.certification("jncia_junos").history[-1].renewed_by == "jncis_ent"


def test_a_retired_exam_counts_only_when_taken_before_its_retirement():
    retired = GOOD.replace("track: net}\n  - {code: P-1", "track: net, retired_on: 2024-01-01}\n  - {code: P-1", 1)
    catalog = parse_catalog(retired, "demo.yaml")

    def alpha(day):
        sitting = Sitting(sitting_id=1, exam_code="A-1", taken_on=day, passed=True)
        return evaluate(catalog, [sitting], as_of=date(2024, 6, 1)).certification("alpha").status
    assert alpha(date(2023, 12, 31)) == "active"
    assert alpha(date(2024, 1, 1)) == "in_progress"


def test_n_of_is_met_by_enough_alternatives_and_says_how_many_remain():
    catalog = parse_catalog(GOOD, "demo.yaml")
    core = Sitting(sitting_id=1, exam_code="P-1", taken_on=date(2024, 1, 1), passed=True)
    standing = evaluate(catalog, [core], as_of=date(2024, 6, 1)).certification("pro")
    assert [(p.description, p.still_needed) for p in standing.progress] == [
        ("Pass P-1 (Pro)", None),
        ("Meet one of: pass A-1 (Alpha); earn 5 CE credits", "one of: exam A-1; 5 CE credits"),
        ("Hold an active Alpha", "an active Alpha"),
    ]


def test_an_exam_outside_the_catalog_and_a_failed_one_count_for_nothing():
    evaluation = standing_of("cisco", [passed("640-802", "2024-01-10")], "2024-06-01")
    assert not any(s.touched for s in evaluation.certifications)


def test_an_evaluation_is_plain_json_for_an_rpc_reply():
    evaluation = standing_of("cisco", [passed("200-301", "2024-01-15"), ce(10, "2024-02-01")], "2024-06-01")
    reply = json.loads(json.dumps(evaluation.model_dump(mode="json")))
    ccna = next(c for c in reply["certifications"] if c["id"] == "ccna")
    assert {k: ccna[k] for k in ("id", "name", "status", "started_on", "active_on", "expires_on")} == {
        "id": "ccna", "name": "CCNA", "status": "active",
        "started_on": "2024-01-15", "active_on": "2024-01-15", "expires_on": "2027-01-15",
    }
    assert ccna["progress"][0]["met"] is True and ccna["progress"][0]["description"].startswith("Pass 200-301")


def test_a_fact_given_twice_is_refused():
    sitting = Sitting(sitting_id=1, exam_code="200-301", taken_on=date(2024, 1, 1), passed=True)
    with pytest.raises(ValueError, match="each sitting must be given once"):
        evaluate(CATALOGS["cisco"], [sitting, sitting], as_of=date(2024, 6, 1))
