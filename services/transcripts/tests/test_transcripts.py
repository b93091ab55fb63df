"""Transcripts end to end inside the service: events in on a private vhost,
the projection kept, transcripts created over real RPC and verified through
the public web app (transcripts/public_web.py; conftest.py's `verify`)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from nameko.exceptions import RemoteError

from transcripts.handlers import verification
from transcripts.handlers.verification import CLIENT_LIMIT, CODE_LIMIT

from services.transcripts.tests.support import (
    ADA, GRACE, TODAY, VALID, candidate, certification, create, remote_detail, sitting, sitting_revoked,
    statuses, transcript,
)

# -- the projection ----------------------------------------------------------------------
def test_certification_events_out_of_order_and_twice_converge_on_the_highest_revision(rpc, events):
    events.publish(candidate(ADA, "Ada", "Lovelace", "ada@example.com"))
    revoked = certification("revoked", ADA, "ccna", "revoked", 3)
    events.publish(revoked, certification("achieved", ADA, "ccna", "active", 1),
                   certification("recertified", ADA, "ccna", "active", 2))
    # The same revision again (a redelivery under a new event id) and an old one.
    again = certification("revoked", ADA, "ccna", "revoked", 3)
    events.publish(again, certification("achieved", ADA, "ccna", "active", 1))

    rows = events.execute("SELECT status, revision FROM certifications WHERE candidate_id = :c", c=ADA).all()
    assert [tuple(row) for row in rows] == [("revoked", 3)]
    assert rpc.transcript_options(candidate_id=ADA)["certifications"][0]["status"] == "revoked"


def test_a_late_pass_does_not_undo_a_correction_or_a_revocation(rpc, events):
    from datetime import datetime, timezone
    earlier = datetime.now(timezone.utc) - timedelta(hours=1)
    events.publish(sitting("fail", ADA, 7), sitting("pass", ADA, 7, at=earlier))  # correction first
    events.publish(sitting_revoked(ADA, 8), sitting("pass", ADA, 8))  # revocation overtook the result

    rows = dict(events.execute("SELECT sitting_id, result FROM sittings").all())
    revoked = dict(events.execute("SELECT sitting_id, revoked FROM sittings").all())
    assert rows == {7: "fail", 8: "pass"}
    assert revoked == {7: False, 8: True}


def test_the_newest_profile_update_gives_the_name_and_email(rpc, events):
    from datetime import datetime, timezone
    now = datetime.now(timezone.utc)
    events.publish(candidate(ADA, "Ada", "Byron", "ada@new.example.com", kind="updated", at=now),
                   candidate(ADA, "Ada", "Lovelace", "ada@example.com", at=now - timedelta(days=1)))

    row = events.execute("SELECT first_name, last_name, email FROM candidates").one()
    assert tuple(row) == ("Ada", "Byron", "ada@new.example.com")
    assert rpc.transcript_options(candidate_id=ADA)["name"] == "Ada Byron"
    assert rpc.transcript_options(candidate_id=GRACE) == {"name": None, "certifications": []}


# -- what a third party sees: each display option, and nothing more ----------------------
def test_all_active_shows_only_active_certifications_and_only_the_name(rpc, ada_record, verify):
    code, access_code = create(rpc)

    view = verify(code, access_code)

    assert view["candidate"] == {"name": "Ada Lovelace"}
    # DevNet's validity ended today: shown expired at once, so not among the active ones.
    assert statuses(view) == [("ccna", "active")]
    assert view["certifications"][0]["active_on"] and view["certifications"][0]["expires_on"]
    assert set(view) == {"candidate", "certifications", "generated_at"}
    raw = json.dumps(view)
    for leak in ("ada@example.com", "200-301", "CCNP", "ACME", "sent to HR", ADA):
        assert leak not in raw


def test_show_email_adds_the_email_and_nothing_else(rpc, ada_record, verify):
    code, access_code = create(rpc, show_email=True)

    view = verify(code, access_code)

    assert view["candidate"] == {"name": "Ada Lovelace", "email": "ada@example.com"}
    assert "exams" not in view and statuses(view) == [("ccna", "active")]


def test_include_exams_adds_the_passed_exams_that_still_count(rpc, ada_record, verify):
    code, access_code = create(rpc, include_exams=True)

    view = verify(code, access_code)

    assert [(e["exam_code"], e["result"]) for e in view["exams"]] == [("200-301", "pass")]
    assert "email" not in view["candidate"]
    assert "350-401" not in json.dumps(view) and "200-201" not in json.dumps(view)


def test_a_view_looks_the_candidates_rows_up_by_index(rpc, events, ada_record):
    """The plan a prepared verification keeps (the generic one) reads certifications and
    sittings by the transcript's candidate. A UNION ALL branch with a WHERE of its own is
    not flattened by PostgreSQL and reads its whole table on every view (verification.py)."""
    code, access_code = create(rpc, include_exams=True)
    now = datetime.now(timezone.utc)
    with events.engine.connect() as connection:
        connection.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        connection.exec_driver_sql("SET enable_seqscan = off")  # a few rows: a full read would win anyway
        verification._VERIFY._compile(connection.dialect)
        connection.exec_driver_sql(verification._VERIFY._prepare)
        plan = "\n".join(connection.exec_driver_sql("EXPLAIN " + verification._VERIFY._execute, {
            "code": code, "client": "10.0.0.9", "since": now - verification.WINDOW, "today": now.date(),
            "access_code_hash": "", "now": now, "forget_before": now - verification.KEEP_FAILURES,
        }).scalars())

    assert "Subquery Scan" not in plan
    assert "Index Cond: ((candidate_id)::text = (decision.candidate_id)::text)" in plan
    assert "ix_sittings_candidate" in plan


def test_include_expired_adds_expired_and_revoked_certifications_with_their_status(rpc, ada_record, verify):
    code, access_code = create(rpc, include_expired=True)

    view = verify(code, access_code)

    assert sorted(statuses(view)) == [
        ("ccna", "active"), ("ccnp_enterprise", "expired"),
        ("cyberops_associate", "revoked"), ("devnet_associate", "expired"),
    ]
    assert "ccie" not in json.dumps(view)  # in progress is never shown
    assert "exams" not in view


def test_a_chosen_list_shows_exactly_those_certifications(rpc, ada_record, verify):
    code, access_code = create(rpc, certifications=["devnet_associate", "ccna"], include_expired=True)
    only_lapsed, lapsed_code = create(rpc, certifications=["ccnp_enterprise"])

    assert statuses(verify(code, access_code)) == [("devnet_associate", "expired"), ("ccna", "active")]
    # Without include_expired an expired choice is not shown at all.
    assert verify(only_lapsed, lapsed_code)["certifications"] == []


def test_a_transcript_cannot_name_a_certification_the_candidate_does_not_hold(rpc, ada_record):
    with pytest.raises(RemoteError) as error:
        create(rpc, certifications=["ccna", "ccie_enterprise_infrastructure"])

    assert error.value.exc_type == "InvalidTranscript"
    assert "ccie_enterprise_infrastructure" in remote_detail(error.value)["display.certifications"]


def test_a_certification_revoked_or_expired_after_creation_shows_its_new_status_on_the_next_view(
        rpc, events, ada_record, verify):
    code, access_code = create(rpc, certifications=["ccna"], include_expired=True)
    hidden_code, hidden_access = create(rpc, certifications=["ccna"])
    assert statuses(verify(code, access_code)) == [("ccna", "active")]

    events.publish(certification("revoked", ADA, "ccna", "revoked", 2))
    assert statuses(verify(code, access_code)) == [("ccna", "revoked")]
    assert verify(hidden_code, hidden_access)["certifications"] == []

    events.publish(certification("achieved", ADA, "ccna", "active", 3),
                   certification("expired", ADA, "ccna", "expired", 4))
    assert statuses(verify(code, access_code)) == [("ccna", "expired")]


# -- views, inactive transcripts, wrong codes ---------------------------------------------
def test_each_view_counts_at_once_with_its_time(rpc, ada_record, verify):
    code, access_code = create(rpc)
    assert rpc.list_transcripts(candidate_id=ADA)["items"][0]["views"] == 0

    first = verify(code, access_code)
    verify(code, access_code)

    listed = rpc.list_transcripts(candidate_id=ADA)["items"][0]
    assert listed["views"] == 2
    assert listed["last_viewed_at"] >= first["generated_at"]


def test_deactivated_and_expired_transcripts_say_so_and_show_nothing(rpc, events, ada_record, verify):
    code, access_code = create(rpc)
    old_code, old_access = create(rpc)
    rpc.deactivate_transcript(candidate_id=ADA, code=code)
    events.execute("UPDATE transcripts SET valid_through = :d WHERE code = :c",
                   d=TODAY - timedelta(days=1), c=old_code)

    for some_code, some_access, state in ((code, access_code, "deactivated"), (old_code, old_access, "expired")):
        with pytest.raises(RemoteError) as error:
            verify(some_code, some_access)
        assert error.value.exc_type == "TranscriptInactive"
        assert remote_detail(error.value) == {"state": state}
        assert "Lovelace" not in error.value.value
    assert [item["views"] for item in rpc.list_transcripts(candidate_id=ADA)["items"]] == [0, 0]
    assert {i["state"] for i in rpc.list_transcripts(candidate_id=ADA)["items"]} == {"deactivated", "expired"}


def test_a_wrong_access_code_is_answered_like_an_unknown_code(rpc, ada_record, verify):
    code, access_code = create(rpc)

    answers = []
    # Its last character changed (token_urlsafe: it may already be an "x").
    wrong = access_code[:-1] + ("y" if access_code.endswith("x") else "x")
    for some_code, some_access in ((code, wrong), ("no-such-code", access_code), (code, "")):
        with pytest.raises(RemoteError) as error:
            verify(some_code, some_access)
        answers.append((error.value.exc_type, error.value.value))

    assert answers == [("TranscriptNotFound", "{}")] * 3
    assert rpc.list_transcripts(candidate_id=ADA)["items"][0]["views"] == 0


def test_wrong_access_codes_are_limited_per_transcript_code(rpc, ada_record, verify):
    code, access_code = create(rpc)
    for attempt in range(CODE_LIMIT):
        with pytest.raises(RemoteError):
            verify(code, f"wrong-{attempt}", client=f"203.0.113.{attempt}")

    with pytest.raises(RemoteError) as error:
        verify(code, access_code, client="192.0.2.200")  # even the right one, from elsewhere
    assert error.value.exc_type == "TooManyAttempts"
    assert remote_detail(error.value)["retry_after_seconds"] > 0
    other_code, other_access = create(rpc)
    assert verify(other_code, other_access, client="203.0.113.1")["certifications"]


def test_wrong_access_codes_are_limited_per_client_address(rpc, ada_record, verify):
    code, access_code = create(rpc)
    for attempt in range(CLIENT_LIMIT):
        with pytest.raises(RemoteError):
            verify(f"guess-{attempt}", "guess", client="203.0.113.9")

    with pytest.raises(RemoteError) as error:
        verify(code, access_code, client="203.0.113.9")
    assert error.value.exc_type == "TooManyAttempts"
    assert verify(code, access_code, client="203.0.113.10")["candidate"]["name"] == "Ada Lovelace"


# -- the candidate's own transcripts ------------------------------------------------------
def test_the_list_shows_each_transcript_without_its_access_code(rpc, ada_record):
    code, access_code = create(rpc, certifications=["ccna"], show_email=True)

    listed = rpc.list_transcripts(candidate_id=ADA)["items"]

    assert len(listed) == 1
    assert listed[0]["code"] == code and listed[0]["state"] == "active"
    assert listed[0]["display"] == {"certifications": ["ccna"], "include_expired": False,
                                    "include_exams": False, "show_email": True}
    assert (listed[0]["description"], listed[0]["remarks"], listed[0]["valid_through"]) == (
        "For ACME Networks", "sent to HR", VALID)
    assert access_code not in json.dumps(listed)
    assert len(code) >= 22 and len(access_code) >= 22  # ≥ 128 bits, URL-safe base64


def test_editing_changes_what_the_next_view_shows(rpc, ada_record, verify):
    code, access_code = create(rpc)

    rpc.update_transcript(candidate_id=ADA, code=code, transcript=transcript(show_email=True, include_exams=True))

    view = verify(code, access_code)
    assert view["candidate"]["email"] == "ada@example.com" and view["exams"]


def test_a_new_access_code_ends_the_old_link(rpc, ada_record, verify):
    code, old_access = create(rpc)

    new_access = rpc.regenerate_access_code(candidate_id=ADA, code=code)["access_code"]

    with pytest.raises(RemoteError) as error:
        verify(code, old_access)
    assert error.value.exc_type == "TranscriptNotFound"
    assert verify(code, new_access)["certifications"]


def test_another_candidate_cannot_see_edit_deactivate_or_share_a_transcript(rpc, events, ada_record, verify):
    events.publish(candidate(GRACE, "Grace", "Hopper", "grace@example.com"))
    code, access_code = create(rpc)

    assert rpc.list_transcripts(candidate_id=GRACE) == {"items": []}
    attempts = [
        lambda: rpc.get_transcript(candidate_id=GRACE, code=code),
        lambda: rpc.update_transcript(candidate_id=GRACE, code=code, transcript=transcript(show_email=True)),
        lambda: rpc.deactivate_transcript(candidate_id=GRACE, code=code),
        lambda: rpc.regenerate_access_code(candidate_id=GRACE, code=code),
        lambda: rpc.preview_share_mail(candidate_id=GRACE, code=code, access_code=access_code,
                                       to="hr@example.com"),
        lambda: rpc.send_share_mail(candidate_id=GRACE, code=code, access_code=access_code,
                                    to="hr@example.com"),
    ]
    for attempt in attempts:
        with pytest.raises(RemoteError) as error:
            attempt()
        assert error.value.exc_type == "TranscriptNotFound"
    view = verify(code, access_code)
    assert "email" not in view["candidate"] and view["candidate"]["name"] == "Ada Lovelace"
    assert rpc.list_transcripts(candidate_id=ADA)["items"][0]["state"] == "active"


def test_invalid_transcripts_name_each_bad_field(rpc, ada_record):
    bad = {"description": "", "valid_through": (TODAY - timedelta(days=1)).isoformat(),
           "display": {"certifications": "everything"}, "remarks": ""}

    with pytest.raises(RemoteError) as error:
        rpc.create_transcript(candidate_id=ADA, transcript=bad)
    assert error.value.exc_type == "InvalidTranscript"
    assert {"description", "display.certifications"} <= set(remote_detail(error.value))

    with pytest.raises(RemoteError) as error:
        rpc.create_transcript(candidate_id=ADA, transcript=transcript() | {"valid_through": "2001-01-01"})
    assert set(remote_detail(error.value)) == {"valid_through"}


# -- sharing by mail ----------------------------------------------------------------------
def test_the_preview_sends_nothing_and_the_mail_carries_a_link_that_opens(rpc, ada_record, smtp_server):
    from services.identity.tests.support import smtp_mails_to, text_of

    code, access_code = create(rpc, certifications=["ccna"])
    preview = rpc.preview_share_mail(candidate_id=ADA, code=code, access_code=access_code,
                                     to="hr-preview@example.com", message="As discussed.")
    assert preview["subject"] == "Ada Lovelace shared a verified CertTrack transcript with you"
    assert f"/verify/{code}?access_code={access_code}" in preview["text"]
    assert "As discussed." in preview["text"] and "As discussed." in preview["html"]

    rpc.send_share_mail(candidate_id=ADA, code=code, access_code=access_code,
                        to="hr-sent@example.com", message="As discussed.")

    mail = smtp_mails_to(smtp_server, "hr-sent@example.com")[0]
    assert f"/verify/{code}?access_code={access_code}" in text_of(mail)
    assert not [m for m in smtp_server.messages() if "hr-preview@example.com" in str(m["To"])]


def test_a_share_mail_needs_the_right_access_code(rpc, ada_record):
    code, _access_code = create(rpc)

    with pytest.raises(RemoteError) as error:
        rpc.send_share_mail(candidate_id=ADA, code=code, access_code="not-it", to="hr@example.com")

    assert error.value.exc_type == "InvalidTranscript"
    assert set(remote_detail(error.value)) == {"access_code"}
