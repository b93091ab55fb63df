"""The identity service's sign-in side, as the gateway calls it: logins, first-time and
mailed links, linked identity providers, and the staff's own accounts, second factor
and audit trail (docs/rpc/identity.md; the candidate's record and tickets are
profile/client.py's).

The only module that names these identity methods. Parameters mirror the service's,
keyword-only (gateway/tests/test_clients_match_services.py checks them), so a
renamed parameter fails loudly instead of landing in the wrong place.
"""
from __future__ import annotations

from functools import partial

from nameko.exceptions import RemoteError

from .. import rpc, views
from ..errors import field_errors, refused, remote_detail  # noqa: F401 — callers use client.refused, …

# Purposes of mailed link tokens (identity/handlers/tokens.py).
FIRST_TIME = "first_time"
PASSWORD_RESET = "password_reset"
EMAIL_CONFIRMATION = "email_confirmation"

_call = partial(rpc.call, "identity")


# -- candidates signing in -----------------------------------------------------------------
def authenticate(*, login, password, client_address=None):
    return _call("authenticate", login=login, password=password, client_address=client_address)


def start_first_time_by_email(*, email, program=None):
    return _call("start_first_time_by_email", email=email, program=program)


def start_first_time_by_score_report(*, last_name, registration_number, new_email, client_address=None):
    return _call("start_first_time_by_score_report", last_name=last_name,
                 registration_number=registration_number, new_email=new_email, client_address=client_address)


def inspect_link_token(*, token, purpose):
    return _call("inspect_link_token", token=token, purpose=purpose)


def complete_first_time(*, token, password):
    return _call("complete_first_time", token=token, password=password)


def reset_password(*, token, password):
    return _call("reset_password", token=token, password=password)


def confirm_email(*, token):
    return _call("confirm_email", token=token)


def request_password_reset(*, login):
    return _call("request_password_reset", login=login)


def remind_candidate_id(*, email):
    return _call("remind_candidate_id", email=email)


def credential_version(*, candidate_id):
    return views.read("identity", "credential_version", candidate_id,
                      lambda: _call("credential_version", candidate_id=candidate_id))


def find_by_external_identity(*, issuer, subject):
    return _call("find_by_external_identity", issuer=issuer, subject=subject)


def link_external_identity(*, candidate_id, external_identity):
    return _call("link_external_identity", candidate_id=candidate_id, external_identity=external_identity)


# -- staff accounts ------------------------------------------------------------------------
def staff_authenticate(*, email, password, client_address=None):
    return _call("staff_authenticate", email=email, password=password, client_address=client_address)


def staff_verify_second_factor(*, staff_id, code, client_address=None):
    return _call("staff_verify_second_factor", staff_id=staff_id, code=code, client_address=client_address)


def staff_start_second_factor_enrolment(*, staff_id):
    return _call("staff_start_second_factor_enrolment", staff_id=staff_id)


def staff_confirm_second_factor_enrolment(*, staff_id, code, client_address=None):
    return _call("staff_confirm_second_factor_enrolment", staff_id=staff_id, code=code,
                 client_address=client_address)


def staff_current(*, staff_id):
    return _call("staff_current", staff_id=staff_id)


def staff_record_audit(*, staff_id, area, action, target, details=None, client_address=None):
    return _call("staff_record_audit", staff_id=staff_id, area=area, action=action, target=target,
                 details=details, client_address=client_address)


def staff_list_audit(*, staff=None, area=None, action=None, target=None, since=None, until=None, page=1):
    return _call("staff_list_audit", staff=staff, area=area, action=action, target=target, since=since,
                 until=until, page=page)


def staff_list_accounts():
    return _call("staff_list_accounts")


def staff_update_account(*, staff_id, acting_staff_id, role=None, active=None):
    return _call("staff_update_account", staff_id=staff_id, acting_staff_id=acting_staff_id, role=role,
                 active=active)


def staff_reset_second_factor(*, staff_id, acting_staff_id):
    return _call("staff_reset_second_factor", staff_id=staff_id, acting_staff_id=acting_staff_id)


def link_token_reason(error: RemoteError) -> str:
    """Why a link cannot be used: `expired`, `used` or `unknown`."""
    reason = remote_detail(error).get("reason")
    return reason if reason in ("expired", "used") else "unknown"
