"""The exams service's vendor side, as the gateway calls it: the vendor API key check
of POST /api/v1/vendor/events, and the staff console's vendor keys and vendor
senders (docs/rpc/exams.md).

The only module that names these exams methods. Parameters mirror the service's,
keyword-only (gateway/tests/test_clients_match_services.py checks them), so a
renamed parameter fails loudly instead of landing in the wrong place.
"""
from __future__ import annotations

from functools import partial

from .. import rpc

_call = partial(rpc.call, "exams")


# -- the vendor endpoint -------------------------------------------------------------------
def authenticate_vendor_key(*, key):
    return _call("authenticate_vendor_key", key=key)


# -- staff: vendor keys and senders --------------------------------------------------------
def list_vendor_keys():
    return _call("list_vendor_keys")


def create_vendor_key(*, vendor, label, programs, expires_at, staff):
    return _call("create_vendor_key", vendor=vendor, label=label, programs=programs, expires_at=expires_at,
                 staff=staff)


def revoke_vendor_key(*, key_id, staff):
    return _call("revoke_vendor_key", key_id=key_id, staff=staff)


def list_vendor_senders():
    return _call("list_vendor_senders")


def register_vendor_sender(*, broker_user, vendor, programs, staff):
    return _call("register_vendor_sender", broker_user=broker_user, vendor=vendor, programs=programs,
                 staff=staff)


def remove_vendor_sender(*, broker_user, staff):
    return _call("remove_vendor_sender", broker_user=broker_user, staff=staff)
