"""Vendor API keys: shown once, stored hashed, revocable — through the exams service's RPCs."""
from __future__ import annotations

import hashlib
import json

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from exams.service import ExamsService

ADMIN = "admin@certtrack.example"


@pytest.fixture
def exams(container_factory, exams_config):
    container = container_factory(ExamsService, exams_config)
    container.start()
    with ClusterRpcProxy({"AMQP_URI": exams_config["AMQP_URI"]}, timeout=15) as proxy:
        yield proxy.exams


@pytest.fixture
def db(exams_config):
    engine = create_engine(exams_config["DATABASE_URL"])
    yield engine
    engine.dispose()


def test_created_key_is_given_once_and_stored_only_as_its_hash(exams, db):
    created = exams.create_vendor_key("pearson_vue", "Pearson VUE production", ADMIN)
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


def test_key_authenticates_its_vendor_until_revoked(exams):
    created = exams.create_vendor_key("pearson_vue", "test", ADMIN)
    assert exams.authenticate_vendor_key(created["key"]) == {
        "vendor": "pearson_vue", "key_id": created["vendor_key"]["id"]}
    assert exams.list_vendor_keys()[0]["last_used_at"] is not None

    revoked = exams.revoke_vendor_key(created["vendor_key"]["id"], ADMIN)
    assert (revoked["active"], revoked["revoked_by"]) == (False, ADMIN)
    assert revoked["revoked_at"]
    with pytest.raises(RemoteError) as refused:
        exams.authenticate_vendor_key(created["key"])
    assert refused.value.exc_type == "InvalidVendorKey"
    assert created["key"] not in str(refused.value)


@pytest.mark.parametrize("key", ["", "nope", "ctv_" + "A" * 43, "Bearer x", None])
def test_unknown_or_malformed_keys_are_refused_alike(exams, key):
    with pytest.raises(RemoteError) as refused:
        exams.authenticate_vendor_key(key)
    assert refused.value.exc_type == "InvalidVendorKey"
    assert json.loads(refused.value.value) == {}


def test_creating_a_key_needs_vendor_label_and_staff(exams):
    with pytest.raises(RemoteError) as refused:
        exams.create_vendor_key("pearson vue!", "", "")
    assert refused.value.exc_type == "InvalidVendorKeyRequest"
    assert set(json.loads(refused.value.value)) == {"vendor", "label", "staff"}
    with pytest.raises(RemoteError) as missing:
        exams.revoke_vendor_key(424242, ADMIN)
    assert missing.value.exc_type == "VendorKeyNotFound"
