"""The certs Nameko service: entrypoints only.

The RPC interface is this module's `@rpc` entrypoints with the request and
reply models of `schemas.py` (listed in
docs/decisions/0005-certifications-service.md); each entrypoint hands its
arguments and explicit dependencies (session, outbox, catalogs, clock) to
one plain function and returns JSON.
"""
import base64
import logging

from nameko.timer import timer

from certtrack_shared import deadletters, health
from certtrack_shared.clock import ClockProvider
from certtrack_shared.consumer import BATCH_SIZE, event_consumer
from certtrack_shared.database import Database
from certtrack_shared.entrypoints import rpc
from certtrack_shared.outbox import Outbox

from certs.catalog.loaded import Catalogs
from certs.credentials.issuing import CredentialKeys
from certs.exceptions import CANDIDATE_ERRORS, PUBLIC_ERRORS, STAFF_ERRORS
from certs.handlers import (
    agreements, certificate_page, continuing_education, credentials, daily, downloads, intake, overview,
    staff_catalog,
)

log = logging.getLogger(__name__)


def _json(reply):
    if isinstance(reply, list):
        return [item.model_dump(mode="json") for item in reply]
    return reply.model_dump(mode="json")


class CertsService(deadletters.DeadLetterDesk):
    """Also the dead-letter RPCs of its queues (certtrack_shared/deadletters/)."""

    name = "certs"

    db = Database()
    outbox = Outbox()
    catalogs = Catalogs()
    clock = ClockProvider()
    issuing = CredentialKeys()

    @rpc
    def health(self):
        return health.check(self.db, self.name).model_dump(mode="json")

    # -- candidate -------------------------------------------------------------
    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def certifications(self, candidate_id):
        return _json(overview.certifications(self.db, self.outbox, self.catalogs, self.clock, candidate_id))

    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def certification(self, candidate_id, certification_id):
        return _json(overview.certification(
            self.db, self.outbox, self.catalogs, self.clock, candidate_id, certification_id))

    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def continuing_education(self, candidate_id):
        return _json(overview.continuing_education(self.db, self.outbox, self.catalogs, self.clock, candidate_id))

    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def submit_ce_activity(self, candidate_id, title, provider, completed_on, kind, certification_id=None,
                           document=None):
        return _json(continuing_education.submit(
            self.db, self.catalogs, self.clock, candidate_id=candidate_id, title=title, provider=provider,
            completed_on=completed_on, kind=kind, certification_id=certification_id, document=document))

    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def certification_agreement(self, candidate_id):
        return _json(agreements.candidate_agreement(self.db, candidate_id))

    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def accept_certification_agreement(self, candidate_id, version):
        return _json(agreements.accept(self.db, candidate_id, version, self.clock.now()))

    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def logo(self, candidate_id, certification_id, format):
        return _json(downloads.logo(
            self.db, self.outbox, self.catalogs, self.clock, candidate_id, certification_id, format))

    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def certificate_pdf(self, candidate_id, certification_id):
        return _json(downloads.certificate_pdf(
            self.db, self.outbox, self.catalogs, self.clock, candidate_id, certification_id))

    # -- public ----------------------------------------------------------------
    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def verify_certificate(self, code):
        return _json(certificate_page.verify_certificate(
            self.db, self.outbox, self.catalogs, self.clock, self.issuing, code))

    # -- digital badges (docs/decisions/0024) ------------------------------------
    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def candidate_credentials(self, candidate_id):
        """The Open Badges credential of each active certification, with its LinkedIn link."""
        return _json(credentials.credentials(self.db, self.catalogs, candidate_id))

    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def credential_download(self, candidate_id, certification_id, format):
        """`format`: json, jwt, png or svg (the last two baked into the logo)."""
        return _json(credentials.download(self.db, self.catalogs, candidate_id, certification_id, format))

    @rpc(expected_exceptions=PUBLIC_ERRORS)
    def credential_issuer(self, program):
        return credentials.issuer_profile(self.issuing, self.catalogs, program)

    @rpc(expected_exceptions=PUBLIC_ERRORS)
    def credential_key(self, program, key_id):
        return credentials.public_key(self.issuing, program, key_id)

    @rpc(expected_exceptions=PUBLIC_ERRORS)
    def credential_achievement(self, program, certification_id):
        return credentials.achievement(self.issuing, self.catalogs, program, certification_id)

    @rpc(expected_exceptions=PUBLIC_ERRORS)
    def credential_achievement_image(self, program, certification_id):
        """The achievement's image as base64 PNG."""
        return base64.b64encode(credentials.achievement_image(self.catalogs, program, certification_id)).decode()

    @rpc(expected_exceptions=PUBLIC_ERRORS)
    def credential_status_list(self, program, number):
        """The signed BitstringStatusListCredential, as a compact JWS."""
        return credentials.status_list_token(self.db, self.issuing, self.catalogs, program, number,
                                             self.clock.actual())

    @rpc(expected_exceptions=PUBLIC_ERRORS)
    def verify_credential(self, credential=None, image_base64=None):
        """Check a credential (JWS or JSON text) or a baked PNG/SVG (base64): `{verified, status, errors}`."""
        return _json(credentials.check(self.db, self.issuing, credential, image_base64, self.clock()))

    @timer(interval=300)
    def issue_due_credentials(self):
        """Every five minutes, on one replica: credentials still due (older certifications,
        emails learnt late). It commits what it issued; timers do not commit for us."""
        credentials.backfill_by_one_replica(self.db, self.issuing, self.catalogs, self.clock())

    # -- staff (the gateway checks the staff session) ----------------------------
    @rpc(expected_exceptions=STAFF_ERRORS)
    def ce_review_queue(self):
        return _json(continuing_education.review_queue(self.db))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def ce_activity(self, activity_id):
        return _json(continuing_education.staff_activity(self.db, activity_id))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def ce_activity_document(self, activity_id):
        return _json(continuing_education.document(self.db, activity_id))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def approve_ce_activity(self, activity_id, credits=None, staff=None):
        return _json(continuing_education.approve(
            self.db, self.outbox, self.catalogs, self.clock, activity_id=activity_id, credits=credits,
            staff=staff))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def reject_ce_activity(self, activity_id, reason=None, staff=None):
        return _json(continuing_education.reject(
            self.db, self.outbox, self.catalogs, self.clock, activity_id=activity_id, reason=reason,
            staff=staff))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def catalog(self):
        return staff_catalog.catalog(self.catalogs)

    @rpc(expected_exceptions=STAFF_ERRORS)
    def reload_catalog(self, staff):
        reply = staff_catalog.reload(self.db, self.outbox, self.catalogs, self.clock)
        log.info("catalog reloaded by staff: %d candidates re-evaluated, %d changes",
                 reply.candidates_reevaluated, reply.changes)
        return _json(reply)

    @rpc(expected_exceptions=STAFF_ERRORS)
    def certification_agreement_versions(self):
        return _json(agreements.versions(self.db, self.catalogs.by_program))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def publish_certification_agreement(self, program, title, body, staff):
        return _json(agreements.publish(
            self.db, self.clock.now(), self.catalogs.by_program, program=program, title=title, body=body,
            staff=staff))

    # -- the daily run -----------------------------------------------------------
    @rpc(expected_exceptions=STAFF_ERRORS)
    def run_daily(self, as_of=None):
        """Expire what is due and send reminders as of `as_of` (default: the clock's day)."""
        return _json(daily.run(self.db, self.outbox, self.catalogs, self.clock, as_of))

    @timer(interval=300)
    def daily_tick(self):
        """Every five minutes: run today once. Timers do not commit for us, hence the commit here."""
        daily.tick(self.db, self.outbox, self.catalogs, self.clock)
        self.db.commit()

    # -- events --------------------------------------------------------------------
    # The queues a new candidate's first results flow through are applied in
    # batches of BATCH_SIZE, one transaction each (decision 0038).
    @event_consumer("exams.events", "exam_passed", batch_size=BATCH_SIZE,
                    batch_locks=intake.sitting_key)
    def handle_exam_passed(self, event):
        intake.sitting_result(self.db, self.outbox, self.catalogs, self.clock, event)

    @event_consumer("exams.events", "exam_failed", batch_size=BATCH_SIZE,
                    batch_locks=intake.sitting_key)
    def handle_exam_failed(self, event):
        intake.sitting_result(self.db, self.outbox, self.catalogs, self.clock, event)

    @event_consumer("exams.events", "sitting_revoked")
    def handle_sitting_revoked(self, event):
        intake.sitting_revoked(self.db, self.outbox, self.catalogs, self.clock, event)

    @event_consumer("certs.events", "certification_achieved", batch_size=BATCH_SIZE)
    def handle_certification_achieved(self, event):
        credentials.issue_due(self.db, self.issuing, self.catalogs, event.candidate_id, self.clock())

    @event_consumer("certs.events", "certification_recertified")
    def handle_certification_recertified(self, event):
        credentials.issue_due(self.db, self.issuing, self.catalogs, event.candidate_id, self.clock())

    @event_consumer("certs.events", "certification_revoked")
    def handle_certification_revoked(self, event):
        credentials.revoke(self.db, self.issuing, self.catalogs, event.candidate_id, event.certification_id,
                           self.clock.actual())

    @event_consumer("identity.events", "candidate_registered", batch_size=BATCH_SIZE)
    def handle_candidate_registered(self, event):
        intake.candidate_announced(self.db, self.outbox, self.clock, event)
        credentials.issue_due(self.db, self.issuing, self.catalogs, event.candidate_id, self.clock())

    @event_consumer("identity.events", "candidate_profile_updated")
    def handle_candidate_profile_updated(self, event):
        intake.candidate_announced(self.db, self.outbox, self.clock, event)
        credentials.issue_due(self.db, self.issuing, self.catalogs, event.candidate_id, self.clock())
