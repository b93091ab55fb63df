"""Who may publish a vendor's messages (CONTRACTS.md §7, exams/handlers/vendor_senders.py):
on the real broker, every vendor message claimed to come from anyone, as an
attacker with broker access would send it."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from nameko.exceptions import RemoteError
from sqlalchemy import text

from certtrack_shared.broker_identities import DEV_VENDOR, DevelopmentUser, vendor_grant
from tests.harness.broker import Vhost
from tests.harness.messages import publish_raw, wait_for
from tests.harness.vendor import result, revocation

STAFF = "sam@certtrack.example"
pytestmark = pytest.mark.usefixtures("exams")  # the service runs for every test


def sittings(db, number) -> int:
    with db.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM sittings WHERE registration_number = :n"),
                                  {"n": number}).scalar_one()


def dead_letter_reason(rpc, event_id) -> str:
    def found():
        return next((d["reason"] for d in rpc.list_dead_letters() if d["message_id"] == event_id), None)
    return wait_for(found, timeout=20, message=f"dead letter of {event_id}")


def vendor_user(amqp_uri: str, name: str) -> DevelopmentUser:
    """A vendor's broker user, made as the broker operator makes one."""
    vhost = Vhost(amqp_uri.rsplit("/", 1)[1])
    user = DevelopmentUser(name, f"{name}-secret-password")
    api = vhost.administrator().api()
    api.put_user(user.name, user.password)
    api.put_grant(vhost.name, vendor_grant(user.name))
    return user


def test_the_development_vendor_is_registered_and_applied(rpc, amqp_uri, db):
    body = result("SENDER-DEV")
    publish_raw(amqp_uri, "vendor.events", "exam_result", body, body["event_id"])
    wait_for(lambda: sittings(db, "SENDER-DEV") == 1, timeout=20, message="the result applied")
    (registration,) = [s for s in rpc.list_vendor_senders() if s["broker_user"] == DEV_VENDOR.name]
    assert (registration["vendor"], registration["programs"]) == ("pearson_vue", ["cisco", "juniper"])


def test_a_message_without_user_id_is_dead_lettered(rpc, amqp_uri, db):
    body = result("SENDER-ANON")
    # As the administrator, who may publish anywhere but names no user_id.
    publish_raw(amqp_uri, "vendor.events", "exam_result", body, body["event_id"], user=False)
    assert "carries no user_id" in dead_letter_reason(rpc, body["event_id"])
    assert sittings(db, "SENDER-ANON") == 0


def test_a_vendor_outside_its_registration_is_dead_lettered(rpc, amqp_uri, db):
    other_program = dict(result("SENDER-PROG"), program="comptia")
    other_vendor = dict(result("SENDER-VEND"), vendor="prometric")
    revoke = dict(revocation("SENDER-DEV"), vendor="prometric")
    for key, body in (("exam_result", other_program), ("exam_result", other_vendor),
                      ("exam_result_revoked", revoke)):
        publish_raw(amqp_uri, "vendor.events", key, body, body["event_id"])

    assert "not registered for program 'comptia'" in dead_letter_reason(rpc, other_program["event_id"])
    assert "not 'prometric'" in dead_letter_reason(rpc, other_vendor["event_id"])
    assert "not 'prometric'" in dead_letter_reason(rpc, revoke["event_id"])
    assert sittings(db, "SENDER-PROG") == sittings(db, "SENDER-VEND") == 0


def test_an_unregistered_broker_user_is_dead_lettered_until_staff_register_it(rpc, amqp_uri, db):
    acme = vendor_user(amqp_uri, "acme-broker")
    early = dict(result("SENDER-ACME-1"), vendor="acme")
    publish_raw(amqp_uri, "vendor.events", "exam_result", early, early["event_id"], user=acme)
    assert "'acme-broker' is not registered for any vendor" in dead_letter_reason(rpc, early["event_id"])

    rpc.register_vendor_sender(broker_user="acme-broker", vendor="acme", programs=["cisco"], staff=STAFF)
    later = dict(result("SENDER-ACME-2"), vendor="acme")
    publish_raw(amqp_uri, "vendor.events", "exam_result", later, later["event_id"], user=acme)
    wait_for(lambda: sittings(db, "SENDER-ACME-2") == 1, timeout=20, message="the registered result")

    removed = rpc.remove_vendor_sender(broker_user="acme-broker", staff=STAFF)
    assert [e["action"] for e in removed["history"]] == ["registered", "removed"]
    assert removed["history"][0]["staff"] == STAFF and not removed["active"]
    last = dict(result("SENDER-ACME-3"), vendor="acme")
    publish_raw(amqp_uri, "vendor.events", "exam_result", last, last["event_id"], user=acme)
    assert "not registered for any vendor" in dead_letter_reason(rpc, last["event_id"])


def test_the_gateways_messages_count_only_for_an_active_key_in_scope(rpc, amqp_uri, db, monkeypatch):
    monkeypatch.setenv("GATEWAY_BROKER_USER", "guest")
    created = rpc.create_vendor_key(
        vendor="pearson_vue", label="http", programs=["cisco"], staff=STAFF,
        expires_at=(datetime.now(timezone.utc) + timedelta(days=30)).isoformat())
    key_id = created["vendor_key"]["id"]
    # The administrator stands in for the gateway here: its user_id must be the
    # gateway's user, which exams reads from GATEWAY_BROKER_USER.
    gateway = DevelopmentUser("guest", "guest")
    in_scope = result("SENDER-GW-1")
    out_of_scope = dict(result("SENDER-GW-2"), program="juniper")
    unknown_key = result("SENDER-GW-3")
    for body, key in ((in_scope, key_id), (out_of_scope, key_id), (unknown_key, 999999)):
        publish_raw(amqp_uri, "vendor.events", "exam_result", body, body["event_id"], user=gateway,
                    headers={"x-certtrack-vendor-key-id": str(key)})
    wait_for(lambda: sittings(db, "SENDER-GW-1") == 1, timeout=20, message="the in-scope result")
    assert "not pearson_vue (juniper)" in dead_letter_reason(rpc, out_of_scope["event_id"])
    assert "which is unknown" in dead_letter_reason(rpc, unknown_key["event_id"])

    rpc.revoke_vendor_key(key_id=key_id, staff=STAFF)  # while a message of it waits, say
    late = result("SENDER-GW-4")
    publish_raw(amqp_uri, "vendor.events", "exam_result", late, late["event_id"], user=gateway,
                headers={"x-certtrack-vendor-key-id": str(key_id)})
    assert "no longer active" in dead_letter_reason(rpc, late["event_id"])


def test_registering_names_what_is_wrong(rpc):
    with pytest.raises(RemoteError) as refused:
        rpc.register_vendor_sender(broker_user="certtrack-exams", vendor="bad vendor!", programs=[],
                                   staff=STAFF)
    assert refused.value.exc_type == "InvalidVendorSenderRequest"
    fields = json.loads(refused.value.value)
    assert set(fields) == {"broker_user", "vendor", "programs"}
    assert "CertTrack's own users" in fields["broker_user"]
