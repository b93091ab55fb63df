"""The exams Nameko service: entrypoints only."""
from datetime import datetime, timezone

from certtrack_shared import health
from certtrack_shared.consumer import event_consumer
from certtrack_shared.database import Database
from certtrack_shared.entrypoints import rpc
from certtrack_shared.outbox import Outbox

from exams import history, ingestion


def now():
    return datetime.now(timezone.utc)


class ExamsService:
    name = "exams"

    db = Database()
    outbox = Outbox()

    @rpc
    def health(self):
        return health.check(self.db, self.name).model_dump(mode="json")

    @rpc
    def testing_history(self, candidate_id):
        return history.testing_history(self.db, candidate_id).model_dump(mode="json")

    @event_consumer("vendor.events", "exam_registration")
    def handle_exam_registration(self, event):
        ingestion.record_registration(self.db, self.outbox, event, now())

    @event_consumer("vendor.events", "exam_result")
    def handle_exam_result(self, event):
        ingestion.record_result(self.db, self.outbox, event, now())

    @event_consumer("vendor.events", "exam_result_revoked")
    def handle_exam_result_revoked(self, event):
        ingestion.record_revocation(self.db, self.outbox, event, now())

    @event_consumer("identity.events", "registration_linked")
    def handle_registration_linked(self, event):
        ingestion.link_registration(self.db, self.outbox, event, now())
