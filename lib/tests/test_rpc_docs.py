"""docs/rpc/<service>.md is what the services' entrypoints say (issue 15, item 6)."""
from __future__ import annotations

from certtrack_shared import deadletters, rpc_docs
from certtrack_shared.consumer import event_consumer
from certtrack_shared.entrypoints import rpc
from certtrack_shared.errors import DomainError


class NotFound(DomainError):
    pass


class Desk(deadletters.DeadLetterDesk):
    name = "desk"

    @rpc(expected_exceptions=(NotFound,))
    def find(self, candidate_id, program=None):
        """Finds it.

        Not this paragraph."""

    @rpc
    def health(self):
        pass

    @event_consumer("exams.events", "exam_passed")
    def handle_exam_passed(self, event):
        pass


def test_each_committed_page_is_what_the_entrypoints_produce():
    assert rpc_docs.stale() == [], f"regenerate with: {rpc_docs.COMMAND}"


def test_a_page_lists_every_rpc_with_parameters_errors_and_summary_and_the_events_consumed():
    methods = {method.name: method for method in rpc_docs.rpc_methods(Desk)}
    assert list(methods)[:2] == ["find", "health"]  # the service's own first, as written
    assert "replay_dead_letter" in methods and methods["replay_dead_letter"].defined_in is (
        deadletters.DeadLetterDesk)
    find = methods["find"]
    assert (find.signature, find.errors, find.summary) == (
        "candidate_id, program=None", (NotFound,), "Finds it.")
    assert rpc_docs.consumers(Desk) == [
        rpc_docs.Consumer("exams.events", "exam_passed", "handle_exam_passed")]


def test_every_service_has_a_page():
    assert sorted(path.name for path in rpc_docs.pages()) == sorted(
        f"{service}.md" for service in ("identity", "exams", "certs", "fulfillment", "transcripts"))
