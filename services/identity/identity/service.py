"""The identity Nameko service: entrypoints only.

Each entrypoint hands its arguments and explicit dependencies to one rule
in `identity.handlers` and returns the reply as JSON. The RPC interface is
docs/decisions/0003-identity.md; errors are the domain errors of
`identity.exceptions` (see there how the gateway reads their details).
"""
from datetime import timedelta

from nameko.dependency_providers import Config
from nameko.timer import timer

from certtrack_shared import health
from certtrack_shared.clock import ClockProvider
from certtrack_shared.consumer import event_consumer
from certtrack_shared.database import Database
from certtrack_shared import deadletters
from certtrack_shared.entrypoints import rpc
from certtrack_shared.outbox import Outbox

from identity.documents import DocumentStorage
from identity.exceptions import CANDIDATE_ERRORS as ERRORS
from identity.exceptions import STAFF_ERRORS
from identity.handlers import candidates, first_time, notices, profile, recovery, reference, staff, tickets
from identity.handlers import second_factor, staff_accounts, staff_audit
from identity.handlers import login as login_handlers
from identity.handlers.passwords import default_hasher


def _json(reply):
    if reply is None:
        return None
    if isinstance(reply, list):
        return [item.model_dump(mode="json") for item in reply]
    return reply.model_dump(mode="json")


class IdentityService(deadletters.DeadLetterDesk):
    """Also the dead-letter RPCs of its queues (certtrack_shared/deadletters/)."""

    name = "identity"

    db = Database()
    outbox = Outbox()
    clock = ClockProvider()
    documents = DocumentStorage()
    config = Config()

    @property
    def hasher(self):
        return default_hasher()

    @rpc
    def health(self):
        return health.check(self.db, self.name).model_dump(mode="json")

    @rpc
    def profile_options(self):
        """The countries and languages the profile accepts (codes and names)."""
        return reference.options()

    # -- logging in -----------------------------------------------------------
    @rpc(expected_exceptions=ERRORS)
    def authenticate(self, login, password, client_address=None):
        return _json(login_handlers.authenticate(
            self.db, self.hasher, self.clock, login=login, password=password,
            client_address=client_address))

    @rpc(expected_exceptions=ERRORS)
    def find_by_external_identity(self, issuer, subject):
        return _json(login_handlers.find_by_external_identity(self.db, issuer=issuer, subject=subject))

    # -- first-time login and recovery -----------------------------------------
    @rpc(expected_exceptions=ERRORS)
    def start_first_time_by_email(self, email, program=None):
        return first_time.start_first_time_by_email(
            self.db, self.outbox, self.clock, email=email, program=program)

    @rpc(expected_exceptions=ERRORS)
    def start_first_time_by_score_report(self, last_name, registration_number, new_email,
                                         client_address=None):
        return _json(first_time.start_first_time_by_score_report(
            self.db, self.outbox, self.clock, last_name=last_name,
            registration_number=registration_number, new_email=new_email,
            client_address=client_address))

    @rpc(expected_exceptions=ERRORS)
    def inspect_link_token(self, token, purpose):
        return _json(first_time.inspect_link_token(self.db, self.clock, token=token, purpose=purpose))

    @rpc(expected_exceptions=ERRORS)
    def complete_first_time(self, token, password):
        return _json(first_time.complete_first_time(
            self.db, self.outbox, self.hasher, self.clock, token=token, password=password))

    @rpc(expected_exceptions=ERRORS)
    def request_password_reset(self, login):
        return recovery.request_password_reset(self.db, self.outbox, self.clock, login=login)

    @rpc(expected_exceptions=ERRORS)
    def reset_password(self, token, password):
        return _json(recovery.reset_password(
            self.db, self.hasher, self.clock, token=token, password=password))

    @rpc(expected_exceptions=ERRORS)
    def remind_candidate_id(self, email):
        return recovery.remind_candidate_id(self.db, self.outbox, self.clock, email=email)

    # -- profile --------------------------------------------------------------
    @rpc(expected_exceptions=ERRORS)
    def get_profile(self, candidate_id):
        return _json(profile.get_profile(self.db, candidate_id=candidate_id))

    @rpc(expected_exceptions=ERRORS)
    def update_profile(self, candidate_id, changes, current_password=None, recently_logged_in=False,
                       client_address=None):
        return _json(profile.update_profile(
            self.db, self.outbox, self.clock, candidate_id=candidate_id, changes=changes,
            hasher=self.hasher, current_password=current_password,
            recently_logged_in=recently_logged_in, client_address=client_address))

    @rpc(expected_exceptions=ERRORS)
    def confirm_email(self, token):
        return _json(profile.confirm_email(self.db, self.outbox, self.clock, token=token))

    @rpc(expected_exceptions=ERRORS)
    def unlink_external_identity(self, candidate_id, identity_id, current_password=None,
                                 recently_logged_in=False, client_address=None):
        return _json(profile.unlink_external_identity(
            self.db, self.outbox, self.clock, candidate_id=candidate_id, identity_id=identity_id,
            hasher=self.hasher, current_password=current_password,
            recently_logged_in=recently_logged_in, client_address=client_address))

    # -- credentials (docs/decisions/0018-account-security.md) ------------------
    @rpc(expected_exceptions=ERRORS)
    def credential_version(self, candidate_id):
        return profile.credential_version(self.db, candidate_id=candidate_id)

    @rpc(expected_exceptions=ERRORS)
    def change_password(self, candidate_id, new_password, current_password=None,
                        recently_logged_in=False, client_address=None):
        return _json(profile.change_password(
            self.db, self.outbox, self.hasher, self.clock, candidate_id=candidate_id,
            new_password=new_password, current_password=current_password,
            recently_logged_in=recently_logged_in, client_address=client_address))

    @rpc(expected_exceptions=ERRORS)
    def link_external_identity(self, candidate_id, external_identity):
        return _json(first_time.link_external_identity(
            self.db, self.outbox, self.clock, candidate_id=candidate_id,
            external_identity=external_identity))

    # -- tickets --------------------------------------------------------------
    @rpc(expected_exceptions=ERRORS)
    def open_name_change_ticket(self, candidate_id, first_name, last_name, reason, document):
        return _json(tickets.open_name_change_ticket(
            self.db, self.outbox, self.documents, self.clock, candidate_id=candidate_id,
            first_name=first_name, last_name=last_name, reason=reason, document=document))

    @rpc(expected_exceptions=ERRORS)
    def list_tickets(self, candidate_id):
        return _json(tickets.list_tickets(self.db, candidate_id=candidate_id))

    # -- staff ----------------------------------------------------------------
    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_authenticate(self, email, password, client_address=None):
        return _json(staff.staff_authenticate(
            self.db, self.hasher, self.clock, email=email, password=password,
            client_address=client_address))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_create(self, email, name, role, password):
        return _json(staff.staff_create(
            self.db, self.hasher, self.clock, email=email, name=name, role=role, password=password))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_list_tickets(self, status=None):
        return _json(tickets.staff_list_tickets(self.db, status=status))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_get_ticket(self, ticket_id):
        return _json(tickets.staff_get_ticket(self.db, ticket_id=ticket_id))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_get_ticket_document(self, ticket_id):
        return _json(tickets.staff_get_ticket_document(self.db, self.documents, ticket_id=ticket_id))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_decide_ticket(self, ticket_id, staff_id, decision, reason=None):
        return _json(tickets.staff_decide_ticket(
            self.db, self.outbox, self.documents, self.clock, ticket_id=ticket_id,
            staff_id=staff_id, decision=decision, reason=reason))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_search_candidates(self, query):
        return _json(staff.staff_search_candidates(self.db, query=query))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_get_candidate(self, candidate_id):
        return _json(profile.get_profile(self.db, candidate_id=candidate_id))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_create_candidate(self, program, first_name, last_name, email):
        return _json(staff.staff_create_candidate(
            self.db, self.outbox, self.clock, program=program, first_name=first_name,
            last_name=last_name, email=email))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_set_attributes(self, candidate_id, ccie_number=None, ccde_number=None):
        return _json(profile.staff_set_attributes(
            self.db, self.outbox, self.clock, candidate_id=candidate_id,
            ccie_number=ccie_number, ccde_number=ccde_number))

    # -- staff: second factor, live sessions, accounts, audit (decision 0019) --
    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_start_second_factor_enrolment(self, staff_id):
        return _json(second_factor.start_enrolment(self.db, staff_id=staff_id))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_confirm_second_factor_enrolment(self, staff_id, code, client_address=None):
        return _json(second_factor.confirm_enrolment(
            self.db, self.clock, staff_id=staff_id, code=code, client_address=client_address))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_verify_second_factor(self, staff_id, code, client_address=None):
        return _json(second_factor.verify(
            self.db, self.clock, staff_id=staff_id, code=code, client_address=client_address))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_current(self, staff_id):
        return _json(staff_accounts.current(self.db, staff_id=staff_id))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_list_accounts(self):
        return _json(staff_accounts.list_accounts(self.db))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_update_account(self, staff_id, acting_staff_id, role=None, active=None):
        return _json(staff_accounts.update_account(
            self.db, staff_id=staff_id, acting_staff_id=acting_staff_id, role=role, active=active))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_reset_second_factor(self, staff_id, acting_staff_id):
        return _json(staff_accounts.reset_second_factor(
            self.db, staff_id=staff_id, acting_staff_id=acting_staff_id))

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_record_audit(self, staff_id, area, action, target, details=None, client_address=None):
        staff_audit.record(self.db, self.clock, staff_id=staff_id, area=area, action=action,
                           target=target, details=details, client_address=client_address)

    @rpc(expected_exceptions=STAFF_ERRORS)
    def staff_list_audit(self, staff=None, area=None, action=None, target=None, since=None,
                         until=None, page=1):
        return _json(staff_audit.list_entries(self.db, staff=staff, area=area, action=action,
                                              target=target, since=since, until=until, page=page))

    # -- events ---------------------------------------------------------------
    # One message per transaction, unlike the other services' hot queues
    # (decision 0038): batches of reports and notices held many candidates' rows
    # at once, and concurrent batches deadlocked on them.
    @event_consumer("exams.events", "candidate_reported")
    def handle_candidate_reported(self, event):
        candidates.handle_candidate_reported(self.db, self.outbox, self.clock, event)

    @event_consumer("exams.events", "exam_results_available")
    def handle_exam_results_available(self, event):
        quiet = timedelta(seconds=float(self.config.get("RESULT_NOTICE_QUIET_SECONDS", 60)))
        notices.handle_exam_results_available(self.db, self.clock, event, quiet=quiet)

    @timer(interval=5)
    def mail_result_notices(self):
        """Every few seconds: mail the result notices whose import is over. Timers do not
        commit for us; each mail and the deletion of its notice commit together."""
        notices.mail_due_result_notices(self.db, self.outbox, self.clock)
        self.db.commit()

    @event_consumer("certs.events", "expert_number_assigned")
    def handle_expert_number_assigned(self, event):
        profile.record_expert_number(self.db, self.outbox, self.clock, event)
