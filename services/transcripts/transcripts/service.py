"""The transcripts Nameko service: entrypoints only.

Candidate methods take the candidate ID the gateway took from the session or
token (never from a URL) and act only on that candidate's transcripts.
Public verification is not here: it is served over HTTP by
transcripts/public_web.py, the service's second entrypoint, from this
service's own projection (transcripts/handlers/projection.py), which the consumers
below keep current (docs/decisions/0006-transcripts.md).
"""
from certtrack_shared import deadletters, health
from certtrack_shared.clock import ClockProvider
from certtrack_shared.consumer import BATCH_SIZE, event_consumer
from certtrack_shared.database import Database
from certtrack_shared.entrypoints import rpc
from certtrack_shared.outbox import Outbox
from certtrack_shared.validation import parse

from transcripts.exceptions import CANDIDATE_ERRORS, InvalidTranscript
from transcripts.handlers import projection, share_mail, sharing
from transcripts.schemas import CandidateQuery, ShareMailRequest, TranscriptRequest


def _candidate(candidate_id) -> str:
    """The candidate the gateway names (from the session or token), checked like any argument."""
    return parse(CandidateQuery, {"candidate_id": candidate_id}, InvalidTranscript).candidate_id


class TranscriptsService(deadletters.DeadLetterDesk):
    """Also the dead-letter RPCs of its queues (list/get/replay/discard_dead_letter)."""

    name = "transcripts"

    db = Database()
    outbox = Outbox()
    clock = ClockProvider()

    @rpc
    def health(self):
        return health.check(self.db, self.name).model_dump(mode="json")

    # -- the candidate's transcripts (transcripts/handlers/sharing.py) ---------------------------------
    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def transcript_options(self, candidate_id):
        return sharing.transcript_options(self.db, _candidate(candidate_id)).model_dump(mode="json")

    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def create_transcript(self, candidate_id, transcript):
        """The reply holds the access code: the only time (with regenerate) it is given out."""
        request = parse(TranscriptRequest, transcript, InvalidTranscript, depth=2)
        return sharing.create_transcript(
            self.db, _candidate(candidate_id), request, self.clock()).model_dump(mode="json")

    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def list_transcripts(self, candidate_id):
        return sharing.list_transcripts(self.db, _candidate(candidate_id), self.clock()).model_dump(mode="json")

    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def get_transcript(self, candidate_id, code):
        return sharing.get_transcript(self.db, _candidate(candidate_id), code, self.clock()).model_dump(mode="json")

    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def update_transcript(self, candidate_id, code, transcript):
        request = parse(TranscriptRequest, transcript, InvalidTranscript, depth=2)
        return sharing.update_transcript(
            self.db, _candidate(candidate_id), code, request, self.clock()).model_dump(mode="json")

    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def deactivate_transcript(self, candidate_id, code):
        return sharing.deactivate_transcript(
            self.db, _candidate(candidate_id), code, self.clock()).model_dump(mode="json")

    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def regenerate_access_code(self, candidate_id, code):
        return sharing.regenerate_access_code(
            self.db, _candidate(candidate_id), code, self.clock()).model_dump(mode="json")

    # -- sharing by mail (transcripts/handlers/share_mail.py) -------------------------------------------
    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def preview_share_mail(self, candidate_id, code, access_code, to, message=""):
        """The mail as it would be sent (subject, text, html); sends nothing."""
        request = parse(ShareMailRequest, dict(access_code=access_code, to=to, message=message), InvalidTranscript)
        return share_mail.preview_share_mail(
            self.db, _candidate(candidate_id), code, request, self.clock()).model_dump(mode="json")

    @rpc(expected_exceptions=CANDIDATE_ERRORS)
    def send_share_mail(self, candidate_id, code, access_code, to, message=""):
        request = parse(ShareMailRequest, dict(access_code=access_code, to=to, message=message), InvalidTranscript)
        return share_mail.send_share_mail(
            self.db, self.outbox, _candidate(candidate_id), code, request, self.clock()).model_dump(mode="json")

    # -- the projection (transcripts/handlers/projection.py) -------------------------------------------
    # The queues a new candidate's first results flow through are applied in
    # batches of BATCH_SIZE, one transaction each (decision 0038).
    @event_consumer("certs.events", "certification_achieved", batch_size=BATCH_SIZE)
    def handle_certification_achieved(self, event):
        projection.record_certification(self.db, event)

    @event_consumer("certs.events", "certification_recertified")
    def handle_certification_recertified(self, event):
        projection.record_certification(self.db, event)

    @event_consumer("certs.events", "certification_expired")
    def handle_certification_expired(self, event):
        projection.record_certification(self.db, event)

    @event_consumer("certs.events", "certification_revoked")
    def handle_certification_revoked(self, event):
        projection.record_certification(self.db, event)

    @event_consumer("exams.events", "exam_passed", batch_size=BATCH_SIZE)
    def handle_exam_passed(self, event):
        projection.record_sitting_result(self.db, event, "pass")

    @event_consumer("exams.events", "exam_failed", batch_size=BATCH_SIZE)
    def handle_exam_failed(self, event):
        projection.record_sitting_result(self.db, event, "fail")

    @event_consumer("exams.events", "sitting_revoked")
    def handle_sitting_revoked(self, event):
        projection.record_sitting_revoked(self.db, event)

    @event_consumer("identity.events", "candidate_registered", batch_size=BATCH_SIZE)
    def handle_candidate_registered(self, event):
        projection.record_candidate(self.db, event)

    @event_consumer("identity.events", "candidate_profile_updated")
    def handle_candidate_profile_updated(self, event):
        projection.record_candidate(self.db, event)
