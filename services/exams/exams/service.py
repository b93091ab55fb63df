"""The exams Nameko service: entrypoints only; each hands its arguments to one rule in `exams.handlers`."""
from certtrack_shared import health
from certtrack_shared.clock import ClockProvider
from certtrack_shared.consumer import BATCH_SIZE, event_consumer
from certtrack_shared.database import Database
from certtrack_shared import deadletters
from certtrack_shared.entrypoints import rpc
from certtrack_shared.outbox import Outbox
from certtrack_shared.validation import parse

from exams.exceptions import AGREEMENT_ERRORS, VENDOR_KEY_ERRORS, VENDOR_SENDER_ERRORS, InvalidAgreement
from exams.handlers import agreements, history, ingestion, vendor_keys, vendor_senders
from exams.schemas import (
    AcceptAgreementRequest,
    AgreementQuery,
    AgreementVersionsQuery,
    PublishAgreementRequest,
)


RESULT_BATCH = BATCH_SIZE


def vendor_sender(service, event, sender):
    """Dead-letters a vendor message its publisher may not send (CONTRACTS.md §7)."""
    vendor_senders.check_sender(service.db, event, sender, service.clock())


class ExamsService(deadletters.DeadLetterDesk):
    """Also the dead-letter RPCs of its queues (list/get/replay/discard_dead_letter)."""

    name = "exams"

    db = Database()
    outbox = Outbox()
    clock = ClockProvider()
    development_vendor = vendor_senders.DevelopmentVendor()

    @rpc
    def health(self):
        return health.check(self.db, self.name).model_dump(mode="json")

    @rpc
    def testing_history(self, candidate_id):
        return history.testing_history(self.db, candidate_id).model_dump(mode="json")

    # -- exam agreements (exams/handlers/agreements.py) -------------------------------------
    @rpc(expected_exceptions=AGREEMENT_ERRORS)
    def exam_agreement(self, candidate_id, program):
        query = parse(AgreementQuery, dict(candidate_id=candidate_id, program=program), InvalidAgreement)
        return agreements.exam_agreement(self.db, query.candidate_id, query.program).model_dump(mode="json")

    @rpc(expected_exceptions=AGREEMENT_ERRORS)
    def accept_exam_agreement(self, candidate_id, program, version):
        request = parse(AcceptAgreementRequest, dict(candidate_id=candidate_id, program=program, version=version),
                        InvalidAgreement)
        return agreements.accept_exam_agreement(
            self.db, request.candidate_id, request.program, request.version, self.clock()).model_dump(mode="json")

    @rpc(expected_exceptions=AGREEMENT_ERRORS)
    def publish_exam_agreement(self, program, title, body, staff):
        """Staff: publish the program's next agreement version (the gateway checks the staff
        session and names the staff member, who is recorded with the version)."""
        request = parse(PublishAgreementRequest, dict(program=program, title=title, body=body, staff=staff),
                        InvalidAgreement)
        return agreements.publish_exam_agreement(
            self.db, request.program, request.title, request.body, request.staff, self.clock(),
        ).model_dump(mode="json")

    @rpc(expected_exceptions=AGREEMENT_ERRORS)
    def exam_agreement_versions(self, program=None):
        """Staff: each program's current version and every version published, newest first."""
        query = parse(AgreementVersionsQuery, dict(program=program), InvalidAgreement)
        return agreements.exam_agreement_versions(self.db, query.program).model_dump(mode="json")

    # -- vendor API keys (exams/handlers/vendor_keys.py); staff methods behind the staff console --
    @rpc(expected_exceptions=VENDOR_KEY_ERRORS)
    def create_vendor_key(self, vendor, label, programs, expires_at, staff):
        """The reply holds the full key: the only time it is ever given out."""
        return vendor_keys.create_vendor_key(
            self.db, vendor, label, programs, expires_at, staff, self.clock()).model_dump(mode="json")

    @rpc(expected_exceptions=VENDOR_KEY_ERRORS)
    def list_vendor_keys(self):
        return [key.model_dump(mode="json") for key in vendor_keys.list_vendor_keys(self.db, self.clock())]

    @rpc(expected_exceptions=VENDOR_KEY_ERRORS)
    def revoke_vendor_key(self, key_id, staff):
        return vendor_keys.revoke_vendor_key(self.db, key_id, staff, self.clock()).model_dump(mode="json")

    @rpc(expected_exceptions=VENDOR_KEY_ERRORS)
    def authenticate_vendor_key(self, key):
        return vendor_keys.authenticate_vendor_key(self.db, key, self.clock()).model_dump(mode="json")

    @rpc(expected_exceptions=VENDOR_SENDER_ERRORS)
    def register_vendor_sender(self, broker_user, vendor, programs, staff):
        return vendor_senders.register(self.db, broker_user, vendor, programs, staff,
                                       self.clock()).model_dump(mode="json")

    @rpc(expected_exceptions=VENDOR_SENDER_ERRORS)
    def list_vendor_senders(self):
        return [view.model_dump(mode="json") for view in vendor_senders.listing(self.db)]

    @rpc(expected_exceptions=VENDOR_SENDER_ERRORS)
    def remove_vendor_sender(self, broker_user, staff):
        return vendor_senders.remove(self.db, broker_user, staff, self.clock()).model_dump(mode="json")

    # Batched as results are: a program's first import sends one registration
    # per result, and each needs identity's link back (decision 0038).
    @event_consumer("vendor.events", "exam_registration", batch_size=BATCH_SIZE,
                    sender_check=vendor_sender, batch_locks=ingestion.registration_key)
    def handle_exam_registration(self, event):
        ingestion.record_registration(self.db, self.outbox, event, self.clock())

    # The high-volume queue: results are applied in batches (one commit per
    # batch, a savepoint per result when one fails; docs/decisions/0008-exams-ingestion-throughput.md).
    @event_consumer("vendor.events", "exam_result", batch_size=RESULT_BATCH,
                    sender_check=vendor_sender, batch_locks=ingestion.registration_key)
    def handle_exam_result(self, event):
        ingestion.record_result(self.db, self.outbox, event, self.clock())

    @event_consumer("vendor.events", "exam_result_revoked", sender_check=vendor_sender)
    def handle_exam_result_revoked(self, event):
        ingestion.record_revocation(self.db, self.outbox, event, self.clock())

    @event_consumer("identity.events", "registration_linked", batch_size=BATCH_SIZE,
                    batch_locks=ingestion.registration_key)
    def handle_registration_linked(self, event):
        ingestion.link_registration(self.db, self.outbox, event, self.clock())
