"""The dead-letter desk, as the staff console calls it: every service that consumes a
queue answers the same four methods (certtrack_shared/deadletters/desk.py), so each
call names the service first.

The console's other calls go through the domain clients (auth, profile, exams,
vendor, certifications, fulfillment: each package's client.py); this one holds only
what belongs to no single domain. Parameters mirror the desk's, keyword-only
(gateway/tests/test_clients_match_services.py checks them).
"""
from __future__ import annotations

from .. import rpc


def list_dead_letters(service: str, *, status=None):
    return rpc.call(service, "list_dead_letters", status=status)


def get_dead_letter(service: str, *, dead_letter_id):
    return rpc.call(service, "get_dead_letter", dead_letter_id=dead_letter_id)


def replay_dead_letter(service: str, *, dead_letter_id, staff, corrected_body=None):
    return rpc.call(service, "replay_dead_letter", dead_letter_id=dead_letter_id, staff=staff,
                    corrected_body=corrected_body)


def discard_dead_letter(service: str, *, dead_letter_id, staff, reason):
    return rpc.call(service, "discard_dead_letter", dead_letter_id=dead_letter_id, staff=staff, reason=reason)
