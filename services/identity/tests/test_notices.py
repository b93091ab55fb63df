"""Mails on other services' news (no broker)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from certtrack_shared.consumer import PoisonMessage
from certtrack_shared.contracts.exams import ExamResultsAvailableV1
from identity.handlers.notices import handle_exam_results_available

from services.identity.tests.support import make_candidate


def available(candidate_id, codes):
    return ExamResultsAvailableV1(schema_version=1, event_id="exams-1",
                                  occurred_at=datetime.now(timezone.utc),
                                  candidate_id=candidate_id, exam_codes=codes)


def test_new_results_are_announced_to_the_address_on_file(session, outbox, clock):
    ada = make_candidate(session, outbox, clock)
    outbox.clear()
    handle_exam_results_available(session, outbox, available(ada.candidate_id, ["350-401", "200-301", "200-301"]))
    [mail] = outbox.mails
    assert mail.to == [ada.email]
    assert "- 200-301\n- 350-401" in mail.text and "350-401" in mail.html


def test_results_for_an_unknown_candidate_are_dead_lettered(session, outbox):
    with pytest.raises(PoisonMessage):
        handle_exam_results_available(session, outbox, available("CSCO99999999", ["200-301"]))
