"""The canned standings of the gateway's certs fake are what certs says.

The gateway's tests answer certs' RPCs from fixed data
(gateway/tests/fakes/certs.json) so that the fake imports nothing of certs.
This test keeps that data honest: every scenario's facts, evaluated by the
real rules engine over the shipped catalogs, give exactly the canned
standings, and the catalog view is what `catalog()` answers. When certs'
rules, wording or catalogs change, rewrite the file with

    PYTHONPATH=lib:services/certs .venv/bin/python services/certs/tests/test_gateway_fake_data.py

and read the diff: it is what the gateway's pages will now show.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

from certs.catalog import load_catalogs
from certs.catalog.expressions import CeCredits, CourseCompletion, walk
from certs.handlers.overview import standing_view
from certs.handlers.staff_catalog import program_view
from certs.rules import CeActivity, CertificationStanding, Sitting, evaluate
from certs.rules import CourseCompletion as CourseFact

FAKE_DATA = Path(__file__).resolve().parents[3] / "gateway" / "tests" / "fakes" / "certs.json"
ABOUT = ("Canned answers of the certs fake (certs.py beside this file), written by "
         "services/certs/tests/test_gateway_fake_data.py from certs' rules engine and catalogs, "
         "which checks them. A scenario is a candidate's facts; its certifications name standings.")


class _Catalogs:
    """What `program_view` reads of the loaded catalogs; the fake answers its own `loaded_at`."""

    loaded_at = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def source(self, program: str) -> str:
        return f"{program}.yaml"


def _renewing(certification, kind) -> bool:
    return any(isinstance(node, kind) for path in certification.recertification for _, node in walk(path.requires))


def _evaluation(catalog, today: date, scenario: dict):
    """The scenario's facts, numbered 1, 2, … in the order written (sittings, then activities)."""
    sittings = [Sitting(sitting_id=number, exam_code=code, taken_on=date.fromisoformat(on), passed=passed,
                        revoked=revoked)
                for number, (code, on, passed, revoked) in enumerate(scenario["sittings"], start=1)]
    first = len(sittings) + 1
    approved = list(enumerate(scenario["approved"], start=first))
    return evaluate(
        catalog, sittings,
        [CeActivity(activity_id=number, credits=credits, completed_on=date.fromisoformat(on))
         for number, (kind, credits, on, _) in approved if kind == "ce"],
        [CourseFact(completion_id=number, certification_id=certification_id, completed_on=date.fromisoformat(on))
         for number, (kind, _, on, certification_id) in approved if kind == "course"],
        as_of=today)


def expected(canned: dict) -> dict:
    """The fake's data for the canned scenarios (their facts and day), as certs has it today."""
    catalogs = load_catalogs()
    today = date.fromisoformat(canned["today"])
    programs = {}
    for program, catalog in sorted(catalogs.items()):
        view = program_view(catalog, _Catalogs())
        del view["loaded_at"]
        programs[program] = {
            "renews_with_ce": [c.id for c in catalog.certifications if _renewing(c, CeCredits)],
            "renews_by_course": [c.id for c in catalog.certifications if _renewing(c, CourseCompletion)],
            "catalog": view,
        }
    standings: dict[str, dict] = {}
    scenarios = []
    for scenario in canned["scenarios"]:
        evaluation = _evaluation(catalogs[scenario["program"]], today, scenario)
        refs = []
        for standing in evaluation.certifications:
            value = standing.model_dump(mode="json")
            same = [ref for ref, known in standings.items() if known == value]
            ref = same[0] if same else f"{standing.id}/{sum(r.startswith(standing.id + '/') for r in standings) + 1}"
            standings[ref] = value
            refs.append(ref)
        scenarios.append({**{key: scenario[key] for key in ("program", "sittings", "approved")},
                          "certifications": refs})
    return {"about": ABOUT, "today": canned["today"], "programs": programs, "scenarios": scenarios,
            "standings": standings}


def test_the_gateway_fakes_canned_standings_are_certs_own():
    canned = json.loads(FAKE_DATA.read_text(encoding="utf-8"))
    assert canned == expected(canned), (
        "gateway/tests/fakes/certs.json is not what certs answers for its scenarios: rewrite it as this "
        "module's docstring says")


def test_every_canned_standing_is_answered_as_certs_publishes_it():
    """The rules' standing fits certs' published reply (certtrack_shared.interfaces.certs): a field
    the rules rename or retype fails here, in certs, not on a gateway page; the rules' evidence
    (which sittings, courses and activities counted) stays inside certs."""
    canned = json.loads(FAKE_DATA.read_text(encoding="utf-8"))
    for standing in canned["standings"].values():
        reply = standing_view(CertificationStanding.model_validate(standing), "code-1", accepted=True).model_dump(
            mode="json")
        assert {key: reply[key] for key in ("id", "status", "active_on", "expires_on", "recertification_summary")} \
            == {key: standing[key] for key in ("id", "status", "active_on", "expires_on", "recertification_summary")}
        assert [(p["description"], p["met"]) for p in reply["progress"]] == [
            (p["description"], p["met"]) for p in standing["progress"]]
        assert [entry["event"] for entry in reply["history"]] == [entry["event"] for entry in standing["history"]]
        assert (reply["certificate_code"], reply["downloads"]) == ("code-1", standing["status"] == "active")
        assert not {"sitting_ids", "course_ids", "ce_used"} & set(_keys(reply))


def _keys(value):
    """Every key of a JSON value, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


if __name__ == "__main__":
    FAKE_DATA.write_text(json.dumps(expected(json.loads(FAKE_DATA.read_text(encoding="utf-8"))), indent=1,
                                    ensure_ascii=False) + "\n", encoding="utf-8")
