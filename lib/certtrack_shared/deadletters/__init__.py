"""Dead letters staff can browse, replay (after fixing the data) and discard.

A RabbitMQ queue cannot be browsed without consuming it, so each service
archives the dead letters of its *own* consuming queues into its own
database (docs/decisions/0002-reliable-messaging.md, "Dead letters"):

- `extension.py`: `DeadLetterArchive` drains every `<queue>.dlq` of the
  service's `@event_consumer` queues into `dead_letters` and acks only after
  the commit; a redelivered dead letter is archived once (unique on queue,
  message_id and the dead-lettered-at stamp the consumer put on it).
  `DeadLetters` brings the archive along and gives the desk's workers their
  session, outbox and contracts.
- `rules.py`: `archive`, `list_dead_letters`, `get_dead_letter`,
  `replay_dead_letter` and `discard_dead_letter` are plain functions over
  the session; replay and discard are audited in `dead_letter_audit`.
- A replay validates the (corrected) body against the queue's contract, then
  writes it to the outbox in the same transaction as the status change: both
  commit or neither does. The outbox relay publishes it by the default
  exchange straight to the original queue, with the original `event_id` as
  `message_id`, so the consumer's idempotency still holds: a message that
  was applied meanwhile is not applied again.
- `desk.py`: `DeadLetterDesk` is a mixin giving a service the four RPCs.
- `errors.py` and `schemas.py`: the RPCs' errors and replies.

Import this package, not its modules: `from certtrack_shared import
deadletters`, then `deadletters.DeadLetterDesk`.
"""
from certtrack_shared.deadletters.desk import DeadLetterDesk
from certtrack_shared.deadletters.errors import (
    ERRORS,
    DeadLetterAlreadyResolved,
    DeadLetterError,
    DeadLetterNotFound,
    InvalidDeadLetterCorrection,
    InvalidDeadLetterRequest,
)
from certtrack_shared.deadletters.extension import (
    ARCHIVE_RETRY_SECONDS,
    DeadLetterArchive,
    DeadLetters,
    DeadLetterTools,
)
from certtrack_shared.deadletters.rules import (
    MAX_BODY_BYTES,
    MAX_LIST,
    STATUSES,
    archive,
    discard_dead_letter,
    get_dead_letter,
    json_safe,
    list_dead_letters,
    replay_dead_letter,
)
from certtrack_shared.deadletters.schemas import (
    DeadLetterAuditEntry,
    DeadLetterDetail,
    DeadLetterSummary,
)

__all__ = [
    "ARCHIVE_RETRY_SECONDS", "ERRORS", "MAX_BODY_BYTES", "MAX_LIST", "STATUSES",
    "DeadLetterAlreadyResolved", "DeadLetterArchive", "DeadLetterAuditEntry",
    "DeadLetterDesk", "DeadLetterDetail", "DeadLetterError", "DeadLetterNotFound",
    "DeadLetterSummary", "DeadLetterTools", "DeadLetters", "InvalidDeadLetterCorrection",
    "InvalidDeadLetterRequest", "archive", "discard_dead_letter", "get_dead_letter",
    "json_safe", "list_dead_letters", "replay_dead_letter",
]
