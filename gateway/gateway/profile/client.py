"""The identity service's candidate records, as the gateway calls them: the candidate's
own profile, password, linked identities and name-change tickets, and the staff
console's candidate search, records and ticket queue (docs/rpc/identity.md; signing
in is auth/client.py's).

The only module that names these identity methods. Parameters mirror the service's,
keyword-only (gateway/tests/test_clients_match_services.py checks them), so a
renamed parameter fails loudly instead of landing in the wrong place.
"""
from __future__ import annotations

from functools import partial

from .. import rpc, views
from ..errors import field_errors, refused  # noqa: F401 — callers use client.refused, …

_call = partial(rpc.call, "identity")


# -- the candidate's own record ------------------------------------------------------------
def get_profile(*, candidate_id):
    return views.read("identity", "get_profile", candidate_id,
                      lambda: _call("get_profile", candidate_id=candidate_id))


def update_profile(
        *, candidate_id, changes, current_password=None, recently_logged_in=False, client_address=None):
    return _call("update_profile", candidate_id=candidate_id, changes=changes,
                 current_password=current_password, recently_logged_in=recently_logged_in,
                 client_address=client_address)


def change_password(
        *, candidate_id, new_password, current_password=None, recently_logged_in=False, client_address=None):
    return _call("change_password", candidate_id=candidate_id, new_password=new_password,
                 current_password=current_password, recently_logged_in=recently_logged_in,
                 client_address=client_address)


def unlink_external_identity(
        *, candidate_id, identity_id, current_password=None, recently_logged_in=False, client_address=None):
    return _call("unlink_external_identity", candidate_id=candidate_id, identity_id=identity_id,
                 current_password=current_password, recently_logged_in=recently_logged_in,
                 client_address=client_address)


def open_name_change_ticket(*, candidate_id, first_name, last_name, reason, document):
    return _call("open_name_change_ticket", candidate_id=candidate_id, first_name=first_name,
                 last_name=last_name, reason=reason, document=document)


def list_tickets(*, candidate_id):
    return _call("list_tickets", candidate_id=candidate_id)


# -- staff: candidates and tickets ---------------------------------------------------------
def staff_search_candidates(*, query):
    return _call("staff_search_candidates", query=query)


def staff_get_candidate(*, candidate_id):
    return _call("staff_get_candidate", candidate_id=candidate_id)


def staff_create_candidate(*, program, first_name, last_name, email):
    return _call("staff_create_candidate", program=program, first_name=first_name, last_name=last_name,
                 email=email)


def staff_set_attributes(*, candidate_id, ccie_number=None, ccde_number=None):
    return _call("staff_set_attributes", candidate_id=candidate_id, ccie_number=ccie_number,
                 ccde_number=ccde_number)


def staff_list_tickets(*, status=None):
    return _call("staff_list_tickets", status=status)


def staff_get_ticket(*, ticket_id):
    return _call("staff_get_ticket", ticket_id=ticket_id)


def staff_get_ticket_document(*, ticket_id):
    return _call("staff_get_ticket_document", ticket_id=ticket_id)


def staff_decide_ticket(*, ticket_id, staff_id, decision, reason=None):
    return _call("staff_decide_ticket", ticket_id=ticket_id, staff_id=staff_id, decision=decision,
                 reason=reason)
