"""Name-change tickets: documents checked by content, staff decisions (no broker)."""
from __future__ import annotations

import base64

import pytest

from identity.documents import MAX_BYTES, FileSystemDocumentStore
from identity.exceptions import (
    InvalidDecision,
    InvalidDocument,
    InvalidProfile,
    NotAuthorized,
    NotFound,
    TicketAlreadyDecided,
)
from identity.handlers import tickets
from identity.handlers.staff import staff_create

from services.identity.tests.support import GOOD_PASSWORD, PDF, PNG, b64, make_candidate


@pytest.fixture
def ada(session, outbox, clock):
    candidate = make_candidate(session, outbox, clock, first_name="Ada", last_name="Byron")
    outbox.clear()
    return candidate


@pytest.fixture
def support(session, hasher, clock):
    return staff_create(session, hasher, clock, email="desk@certtrack.example.com",
                        name="Help Desk", role="support", password=GOOD_PASSWORD)


def open_ticket(session, outbox, documents, clock, candidate, filename="passport.pdf", data=PDF,
                **names):
    return tickets.open_name_change_ticket(
        session, outbox, documents, clock, candidate_id=candidate.candidate_id,
        first_name=names.get("first_name", "Ada"), last_name=names.get("last_name", "Lovelace"),
        reason="Marriage", document={"filename": filename, "data_b64": b64(data)})


def decide(session, outbox, documents, clock, ticket, staff, decision, reason=None):
    return tickets.staff_decide_ticket(session, outbox, documents, clock, ticket_id=ticket.id,
                                       staff_id=staff.id, decision=decision, reason=reason)


def test_a_ticket_keeps_the_document_out_of_the_database(session, outbox, documents, clock, ada):
    ticket = open_ticket(session, outbox, documents, clock, ada)
    assert (ticket.status, ticket.kind, ticket.has_document) == ("open", "name_change", True)
    assert (ticket.requested_first_name, ticket.requested_last_name) == ("Ada", "Lovelace")
    [stored] = documents.files.values()
    assert stored == PDF
    [mail] = outbox.mails_to(ada.email)
    assert f"#{ticket.id}" in mail.text
    document = tickets.staff_get_ticket_document(session, documents, ticket_id=ticket.id)
    assert (document.filename, document.content_type) == ("passport.pdf", "application/pdf")
    assert base64.b64decode(document.data_b64) == PDF


@pytest.mark.parametrize(
    "filename, data, message",
    [
        ("passport.pdf", PNG, "does not match its name"),
        ("passport.pdf", b"MZ\x90\x00 this is an executable", "not a PDF, JPEG or PNG"),
        ("passport.png", b"<svg onload=alert(1)>", "not a PDF, JPEG or PNG"),
        ("passport.pdf", b"", "empty"),
        ("passport.pdf", b"%PDF-" + b"0" * MAX_BYTES, "larger than 5 MB"),
    ],
    ids=["png-named-pdf", "garbage", "svg", "empty", "too-big"],
)
def test_a_bad_document_is_refused_and_nothing_stored(session, outbox, documents, clock, ada,
                                                      filename, data, message):
    with pytest.raises(InvalidDocument) as refused:
        open_ticket(session, outbox, documents, clock, ada, filename=filename, data=data)
    assert message in refused.value.fields["document"]
    assert documents.files == {} and outbox.mails == []


def test_a_jpeg_or_png_named_for_what_it_is_is_accepted(session, outbox, documents, clock, ada):
    assert open_ticket(session, outbox, documents, clock, ada, filename="scan.PNG", data=PNG).has_document
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
    assert open_ticket(session, outbox, documents, clock, ada, filename="scan.jpeg", data=jpeg).has_document


def test_the_requested_name_is_required(session, outbox, documents, clock, ada):
    with pytest.raises(InvalidProfile) as invalid:
        open_ticket(session, outbox, documents, clock, ada, first_name=" ", last_name="")
    assert set(invalid.value.fields) == {"first_name", "last_name"}


def test_approval_renames_announces_mails_and_deletes_the_document(session, outbox, documents, clock,
                                                                   ada, support):
    ticket = open_ticket(session, outbox, documents, clock, ada)
    outbox.clear()
    clock.advance(hours=2)
    decided = decide(session, outbox, documents, clock, ticket, support, "approve")
    assert (decided.status, decided.has_document, decided.decided_at) == ("approved", False, clock.now)
    assert (ada.first_name, ada.last_name) == ("Ada", "Lovelace")
    [event] = outbox.events_of("candidate_profile_updated")
    assert (event.changed, event.last_name) == (["first_name", "last_name"], "Lovelace")
    [mail] = outbox.mails_to(ada.email)
    assert "approved" in mail.text and "Lovelace" in mail.text
    assert len(documents.files) == 1, "kept until the decision is committed"
    session.commit()
    assert documents.files == {}
    with pytest.raises(NotFound):
        tickets.staff_get_ticket_document(session, documents, ticket_id=ticket.id)
    with pytest.raises(TicketAlreadyDecided) as twice:
        decide(session, outbox, documents, clock, ticket, support, "reject", "changed my mind")
    assert twice.value.detail == {"status": "approved"}


def test_rejection_needs_a_reason_mails_it_and_deletes_the_document(session, outbox, documents,
                                                                   clock, ada, support):
    ticket = open_ticket(session, outbox, documents, clock, ada)
    outbox.clear()
    with pytest.raises(InvalidDecision) as no_reason:
        decide(session, outbox, documents, clock, ticket, support, "reject", "   ")
    assert list(no_reason.value.fields) == ["reason"]
    assert len(documents.files) == 1
    decided = decide(session, outbox, documents, clock, ticket, support, "reject",
                     "The document is not readable.")
    assert (decided.status, decided.decision_reason) == ("rejected", "The document is not readable.")
    assert (ada.first_name, ada.last_name) == ("Ada", "Byron")
    [mail] = outbox.mails_to(ada.email)
    assert "The document is not readable." in mail.text and "The document is not readable." in mail.html
    session.commit()
    assert outbox.events == [] and documents.files == {}


def test_a_decision_that_rolls_back_keeps_the_document(session, outbox, documents, clock, ada, support):
    ticket = open_ticket(session, outbox, documents, clock, ada)
    session.commit()
    decide(session, outbox, documents, clock, ticket, support, "approve")
    session.rollback()
    assert len(documents.files) == 1
    assert tickets.staff_get_ticket(session, ticket_id=ticket.id).has_document


def test_a_ticket_that_rolls_back_leaves_no_document_behind(session, outbox, documents, clock, ada):
    session.commit()
    open_ticket(session, outbox, documents, clock, ada)
    assert len(documents.files) == 1
    session.rollback()
    assert documents.files == {}


def test_only_active_staff_decide(session, outbox, documents, clock, ada, support):
    ticket = open_ticket(session, outbox, documents, clock, ada)
    for nobody in (None, "x", support.id + 100):
        with pytest.raises(NotAuthorized):
            tickets.staff_decide_ticket(session, outbox, documents, clock, ticket_id=ticket.id,
                                        staff_id=nobody, decision="approve")
    with pytest.raises(InvalidDecision):
        decide(session, outbox, documents, clock, ticket, support, "maybe")


def test_a_candidate_lists_only_their_own_tickets(session, outbox, documents, clock, ada):
    other = make_candidate(session, outbox, clock)
    mine = open_ticket(session, outbox, documents, clock, ada)
    theirs = open_ticket(session, outbox, documents, clock, other, first_name="Grace", last_name="Hopper")
    assert [t.id for t in tickets.list_tickets(session, candidate_id=ada.candidate_id)] == [mine.id]
    assert [t.id for t in tickets.list_tickets(session, candidate_id=other.candidate_id)] == [theirs.id]
    queue = tickets.staff_list_tickets(session, status="open")
    assert [t.id for t in queue] == [mine.id, theirs.id]
    assert tickets.staff_list_tickets(session, status="approved") == []


def test_the_filesystem_store_keeps_random_private_files(tmp_path):
    store = FileSystemDocumentStore(tmp_path / "docs")
    key = store.save(PDF)
    path = tmp_path / "docs" / key
    assert len(key) == 32 and path.read_bytes() == PDF
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert store.load(key) == PDF
    store.delete(key)
    assert store.load(key) is None and not path.exists()
    with pytest.raises(ValueError):
        store.load("../../etc/passwd")
