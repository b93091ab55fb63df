"""`DeadLetterDesk`: the mixin giving a service the four dead-letter RPCs."""
from __future__ import annotations

from datetime import datetime, timezone

from certtrack_shared.deadletters.extension import DeadLetters
from certtrack_shared.deadletters.errors import ERRORS
from certtrack_shared.deadletters.rules import (
    discard_dead_letter,
    get_dead_letter,
    list_dead_letters,
    queue_of,
    replay_dead_letter,
)
from certtrack_shared.entrypoints import rpc


def _now() -> datetime:
    return datetime.now(timezone.utc)


class DeadLetterDesk:
    """Mixin: the dead-letter RPCs, for a service with `Database()` and `Outbox()`.

    `class ExamsService(deadletters.DeadLetterDesk): …` — Nameko collects
    inherited entrypoints and dependencies, so the service gets the archive
    and `list_dead_letters`, `get_dead_letter`, `replay_dead_letter`,
    `discard_dead_letter`. Import the module, not the class: `nameko run
    <module>` takes every top-level class with entrypoints for a service.
    The gateway's staff console is the caller and checks the staff session;
    `staff` is who acts, for the audit.
    """

    dead_letter_tools = DeadLetters()

    @rpc(expected_exceptions=ERRORS)
    def list_dead_letters(self, status=None):
        tools = self.dead_letter_tools
        return [item.model_dump(mode="json")
                for item in list_dead_letters(tools.session, tools.service, status)]

    @rpc(expected_exceptions=ERRORS)
    def get_dead_letter(self, dead_letter_id):
        tools = self.dead_letter_tools
        return get_dead_letter(tools.session, tools.service, dead_letter_id).model_dump(mode="json")

    @rpc(expected_exceptions=ERRORS)
    def replay_dead_letter(self, dead_letter_id, staff, corrected_body=None):
        tools = self.dead_letter_tools
        queue = queue_of(tools.session, dead_letter_id)
        return replay_dead_letter(
            tools.session, tools.outbox, tools.service, dead_letter_id, staff, _now(),
            corrected_body=corrected_body, model=tools.model_for(queue),
        ).model_dump(mode="json")

    @rpc(expected_exceptions=ERRORS)
    def discard_dead_letter(self, dead_letter_id, staff, reason):
        tools = self.dead_letter_tools
        return discard_dead_letter(
            tools.session, tools.service, dead_letter_id, staff, reason, _now()
        ).model_dump(mode="json")
