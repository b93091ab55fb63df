"""Mails on other services' news (no broker): new exam results, one mail per import."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from certtrack_shared.consumer import PoisonMessage
from certtrack_shared.contracts.exams import ExamResultsAvailableV1
from identity.handlers.notices import LONGEST_WAIT, QUIET, handle_exam_results_available, mail_due_result_notices

from services.identity.tests.support import make_candidate


def available(candidate_id, codes):
    return ExamResultsAvailableV1(schema_version=1, event_id=f"exams-{uuid.uuid4().hex}",
                                  occurred_at=datetime.now(timezone.utc),
                                  candidate_id=candidate_id, exam_codes=codes)


@pytest.fixture
def ada(session, outbox, clock):
    candidate = make_candidate(session, outbox, clock)
    outbox.clear()
    return candidate


def test_an_import_of_several_results_is_one_mail_once_it_is_over(session, outbox, clock, ada):
    for codes in (["350-401"], ["200-301"], ["200-301"]):  # a burst: one event per sitting
        handle_exam_results_available(session, clock, available(ada.candidate_id, codes))
        clock.advance(seconds=5)
    assert mail_due_result_notices(session, outbox, clock) == 0 and outbox.mails == []  # still arriving

    clock.advance(seconds=QUIET.total_seconds())
    assert mail_due_result_notices(session, outbox, clock) == 1
    [mail] = outbox.mails
    assert mail.to == [ada.email]
    assert "- 200-301\n- 350-401" in mail.text and "350-401" in mail.html
    assert mail_due_result_notices(session, outbox, clock) == 0 and len(outbox.mails) == 1  # mailed once


def test_results_after_the_mail_start_a_new_notice(session, outbox, clock, ada):
    handle_exam_results_available(session, clock, available(ada.candidate_id, ["200-301"]))
    clock.advance(seconds=QUIET.total_seconds())
    mail_due_result_notices(session, outbox, clock)
    handle_exam_results_available(session, clock, available(ada.candidate_id, ["200-201"]))
    clock.advance(seconds=QUIET.total_seconds())
    mail_due_result_notices(session, outbox, clock)
    first, second = outbox.mails
    assert "200-301" in first.text and "200-201" not in first.text
    assert "200-201" in second.text and "200-301" not in second.text


def test_a_steady_trickle_is_still_mailed_after_the_longest_wait(session, outbox, clock, ada):
    started = clock()
    while clock() - started < LONGEST_WAIT:
        handle_exam_results_available(session, clock, available(ada.candidate_id, ["200-301"]))
        assert mail_due_result_notices(session, outbox, clock) == 0
        clock.advance(seconds=QUIET.total_seconds() / 2)
    assert mail_due_result_notices(session, outbox, clock) == 1


def test_each_candidate_gets_their_own_mail(session, outbox, clock, ada):
    grace = make_candidate(session, outbox, clock, first_name="Grace", last_name="Hopper",
                           email="grace@example.com")
    outbox.clear()
    handle_exam_results_available(session, clock, available(ada.candidate_id, ["200-301"]))
    handle_exam_results_available(session, clock, available(grace.candidate_id, ["200-201"]))
    clock.advance(seconds=QUIET.total_seconds())
    assert mail_due_result_notices(session, outbox, clock) == 2
    by_address = {mail.to[0]: mail.text for mail in outbox.mails}
    assert "200-301" in by_address[ada.email] and "200-201" not in by_address[ada.email]
    assert "200-201" in by_address["grace@example.com"]


def test_results_for_an_unknown_candidate_are_dead_lettered(session, clock):
    with pytest.raises(PoisonMessage):
        handle_exam_results_available(session, clock, available("CSCO99999999", ["200-301"]))
