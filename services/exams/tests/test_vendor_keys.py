"""Vendor API keys: shown once, stored hashed, scoped to one vendor and a set of
programs, expiring, revocable, every creation and revocation audited.

Unit tests run the rules (exams/handlers/vendor_keys.py) with a clock passed in, on a
real session of this run's migrated exams database rolled back afterwards;
integration tests ask the real service over RPC.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from exams.handlers import vendor_keys
from exams.exceptions import InvalidVendorKey, InvalidVendorKeyRequest, VendorKeyExpired
from exams.service import ExamsService

ADMIN = "admin@certtrack.example"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def in_days(days: float, now: datetime | None = None) -> str:
    return ((now or datetime.now(timezone.utc)) + timedelta(days=days)).isoformat()


# -- over RPC ---------------------------------------------------------------------------------
@pytest.fixture
def exams(container_factory, exams_config):
    container = container_factory(ExamsService, exams_config)
    container.start()
    with ClusterRpcProxy({"AMQP_URI": exams_config["AMQP_URI"]}, timeout=15) as proxy:
        yield proxy.exams


def create(exams, vendor="pearson_vue", label="test", programs=("cisco",), expires_at=None, staff=ADMIN):
    return exams.create_vendor_key(vendor=vendor, label=label, programs=list(programs),
                                   expires_at=expires_at or in_days(365), staff=staff)


def test_created_key_is_given_once_and_stored_only_as_its_hash(exams, db):
    created = create(exams, label="Pearson VUE production")
    key = created["key"]
    assert key.startswith("ctv_") and len(key) >= 47
    view = created["vendor_key"]
    assert (view["vendor"], view["label"], view["created_by"], view["active"]) == (
        "pearson_vue", "Pearson VUE production", ADMIN, True)
    assert view["key_prefix"] == key[:8]

    listed = exams.list_vendor_keys()
    assert [k["id"] for k in listed] == [view["id"]]
    assert key not in json.dumps(listed)
    with db.connect() as connection:
        row = connection.execute(text("SELECT * FROM vendor_api_keys")).mappings().one()
    assert key not in json.dumps({k: str(v) for k, v in row.items()})
    assert row["key_hash"] == hashlib.sha256(key.encode()).hexdigest()


def test_key_authenticates_its_vendor_and_programs_until_revoked(exams):
    expires_at = in_days(30)
    created = create(exams, programs=["juniper", "cisco"], expires_at=expires_at)
    assert exams.authenticate_vendor_key(created["key"]) == {
        "vendor": "pearson_vue", "key_id": created["vendor_key"]["id"],
        "programs": ["cisco", "juniper"], "expires_at": created["vendor_key"]["expires_at"]}
    assert datetime.fromisoformat(created["vendor_key"]["expires_at"]) == datetime.fromisoformat(expires_at)
    assert exams.list_vendor_keys()[0]["last_used_at"] is not None

    revoked = exams.revoke_vendor_key(created["vendor_key"]["id"], ADMIN)
    assert (revoked["active"], revoked["status"], revoked["revoked_by"]) == (False, "revoked", ADMIN)
    assert revoked["revoked_at"]
    with pytest.raises(RemoteError) as refused:
        exams.authenticate_vendor_key(created["key"])
    assert refused.value.exc_type == "InvalidVendorKey"
    assert created["key"] not in str(refused.value)


def test_an_expired_key_is_refused_as_expired_over_rpc(exams, db):
    created = create(exams)
    with db.begin() as connection:  # as if its expiry had passed
        connection.execute(text("UPDATE vendor_api_keys SET expires_at = now() - interval '1 second'"))

    with pytest.raises(RemoteError) as refused:
        exams.authenticate_vendor_key(created["key"])

    assert refused.value.exc_type == "VendorKeyExpired"
    assert set(json.loads(refused.value.value)) == {"expired_at"}
    assert exams.list_vendor_keys()[0]["status"] == "expired"


@pytest.mark.parametrize("key", ["", "nope", "ctv_" + "A" * 43, "Bearer x", None])
def test_unknown_or_malformed_keys_are_refused_alike(exams, key):
    with pytest.raises(RemoteError) as refused:
        exams.authenticate_vendor_key(key)
    assert refused.value.exc_type == "InvalidVendorKey"
    assert json.loads(refused.value.value) == {}


def test_creating_a_key_needs_vendor_label_programs_expiry_and_staff(exams):
    with pytest.raises(RemoteError) as refused:
        exams.create_vendor_key(vendor="pearson vue!", label="", programs=[], expires_at="", staff="")
    assert refused.value.exc_type == "InvalidVendorKeyRequest"
    assert set(json.loads(refused.value.value)) == {"vendor", "label", "programs", "expires_at", "staff"}
    with pytest.raises(RemoteError) as missing:
        exams.revoke_vendor_key(424242, ADMIN)
    assert missing.value.exc_type == "VendorKeyNotFound"


# -- the rules, with a clock ------------------------------------------------------------------
def new_key(session, programs=("cisco",), expires_at=None, now=NOW, staff=ADMIN, vendor="pearson_vue"):
    return vendor_keys.create_vendor_key(session, vendor, "test", list(programs),
                                         expires_at or in_days(365, now), staff, now)


def refusal(session, **arguments) -> dict[str, str]:
    with pytest.raises(InvalidVendorKeyRequest) as refused:
        new_key(session, **arguments)
    return refused.value.fields


@pytest.mark.parametrize("programs", [[], None, "cisco", [""], ["Cisco Systems!"], [3]])
def test_a_key_without_programs_is_refused_with_a_field_error(session, programs):
    with pytest.raises(InvalidVendorKeyRequest) as refused:
        vendor_keys.create_vendor_key(session, "pearson_vue", "test", programs, in_days(365, NOW), ADMIN, NOW)

    assert set(refused.value.fields) == {"programs"}
    assert "program" in refused.value.fields["programs"]


def test_programs_are_kept_once_each_in_order(session):
    created = new_key(session, programs=[" Juniper", "cisco", "juniper"])

    assert created.vendor_key.programs == ["cisco", "juniper"]


@pytest.mark.parametrize("expires_at, says", [
    (in_days(731, NOW), "at most 2 years"),
    (in_days(730.01, NOW), "at most 2 years"),
    (in_days(-1, NOW), "in the future"),
    (NOW.isoformat(), "in the future"),
    ("2027-11-24T09:00:00", "time zone"),  # naive: which midnight?
    ("next year", "date and time"),
    (None, "date and time"),
])
def test_an_expiry_beyond_two_years_or_not_in_the_future_is_refused(session, expires_at, says):
    with pytest.raises(InvalidVendorKeyRequest) as refused:
        vendor_keys.create_vendor_key(session, "pearson_vue", "test", ["cisco"], expires_at, ADMIN, NOW)

    assert set(refused.value.fields) == {"expires_at"}
    assert says in refused.value.fields["expires_at"]


def test_an_expiry_of_exactly_two_years_is_accepted(session):
    created = new_key(session, expires_at=in_days(730, NOW))

    assert created.vendor_key.expires_at == NOW + timedelta(days=730)


def test_a_key_authenticates_until_its_expiry_and_is_refused_as_expired_after(session):
    created = new_key(session, expires_at=in_days(10, NOW))
    just_before = NOW + timedelta(days=10) - timedelta(seconds=1)

    assert vendor_keys.authenticate_vendor_key(session, created.key, just_before).programs == ["cisco"]
    with pytest.raises(VendorKeyExpired) as refused:
        vendor_keys.authenticate_vendor_key(session, created.key, NOW + timedelta(days=10))
    assert refused.value.detail == {"expired_at": (NOW + timedelta(days=10)).isoformat()}
    [view] = vendor_keys.list_vendor_keys(session, NOW + timedelta(days=11))
    assert (view.status, view.expired, view.active) == ("expired", True, False)
    assert view.last_used_at == just_before  # a refused use is not a use


def test_a_revoked_key_that_also_expired_is_refused_as_invalid(session):
    created = new_key(session, expires_at=in_days(10, NOW))
    vendor_keys.revoke_vendor_key(session, created.vendor_key.id, ADMIN, NOW)

    with pytest.raises(InvalidVendorKey):
        vendor_keys.authenticate_vendor_key(session, created.key, NOW + timedelta(days=20))


def test_the_list_shows_active_then_expired_then_revoked_keys(session):
    revoked = new_key(session).vendor_key
    vendor_keys.revoke_vendor_key(session, revoked.id, ADMIN, NOW)
    expired = new_key(session, expires_at=in_days(1, NOW)).vendor_key
    active = new_key(session, programs=["juniper"]).vendor_key

    listed = vendor_keys.list_vendor_keys(session, NOW + timedelta(days=2))

    assert [(key.id, key.status) for key in listed] == [
        (active.id, "active"), (expired.id, "expired"), (revoked.id, "revoked")]
    assert listed[0].programs == ["juniper"]


def test_creating_and_revoking_are_audited_with_who_when_and_the_scope(session):
    later = NOW + timedelta(hours=3)
    created = new_key(session, programs=["cisco", "juniper"], expires_at=in_days(90, NOW),
                      staff="sam@certtrack.example")
    vendor_keys.revoke_vendor_key(session, created.vendor_key.id, "kim@certtrack.example", later)
    vendor_keys.revoke_vendor_key(session, created.vendor_key.id, "sam@certtrack.example", later)  # no-op

    [view] = vendor_keys.list_vendor_keys(session, later)

    assert [(entry.action, entry.staff, entry.at, entry.programs, entry.expires_at)
            for entry in view.history] == [
        ("created", "sam@certtrack.example", NOW, ["cisco", "juniper"], NOW + timedelta(days=90)),
        ("revoked", "kim@certtrack.example", later, None, None),
    ]
