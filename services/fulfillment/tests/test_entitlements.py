"""The free initial kit: granted once, on a first achievement only, with a congratulation mail."""
from __future__ import annotations

from tests.harness.messages import publish_raw, wait_for

from services.fulfillment.tests.support import achieve, certification_event, register


def _mails_to(smtp_server, address):
    return [m for m in smtp_server.messages() if address in str(m["To"])]


def test_first_achievement_grants_the_kit_at_no_cost_and_mails_claim_instructions(rpc, amqp_uri, smtp_server):
    register(amqp_uri, "CSCO11000001", email="kit.one@example.com")
    achieve(amqp_uri, rpc, "CSCO11000001")

    overview = rpc.fulfillment_overview("CSCO11000001")
    [entitlement] = overview["entitlements"]
    assert entitlement["certification_name"] == "CCNA"
    assert entitlement["price_cents"] == 0 and entitlement["claimable"] is True
    assert entitlement["items"] == [{"sku": "CCNA-CERT", "description": "CCNA certificate", "quantity": 1}]
    # Additional kits for the active certification, at catalog prices (not the free certificate).
    [kit] = overview["purchasable"]
    assert [(i["sku"], i["price_cents"]) for i in kit["items"]] == [("CCNA-CERT-COPY", 2500), ("CCNA-PLAQUE", 7500)]

    [mail] = wait_for(lambda: _mails_to(smtp_server, "kit.one@example.com"), timeout=60,
                      message="the congratulation mail")
    assert "Congratulations" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    assert "Claim & Purchase Fulfillment" in text and "6-8 weeks" in text


def test_recertification_and_a_repeated_achievement_grant_nothing_more(rpc, amqp_uri):
    achieve(amqp_uri, rpc, "CSCO11000002")
    again = certification_event("CSCO11000002", revision=2)  # the same fact under a new event id
    recertified = certification_event("CSCO11000002", "certification_recertified", revision=3)
    later = certification_event("CSCO11000002", revision=4, first_achievement=False)  # earned again after expiry
    for event, key in ((again, "certification_achieved"), (recertified, "certification_recertified"),
                       (later, "certification_achieved")):
        publish_raw(amqp_uri, "certs.events", key, event, message_id=event["event_id"])
    marker = certification_event("CSCO11000099")
    publish_raw(amqp_uri, "certs.events", "certification_achieved", marker, message_id=marker["event_id"])
    wait_for(lambda: rpc.fulfillment_overview("CSCO11000099")["entitlements"], message="later events applied")

    assert len(rpc.fulfillment_overview("CSCO11000002")["entitlements"]) == 1


def test_recertification_alone_grants_no_kit(rpc, amqp_uri):
    event = certification_event("CSCO11000003", "certification_recertified", revision=2)
    publish_raw(amqp_uri, "certs.events", "certification_recertified", event, message_id=event["event_id"])
    marker = certification_event("CSCO11000098")
    publish_raw(amqp_uri, "certs.events", "certification_achieved", marker, message_id=marker["event_id"])
    wait_for(lambda: rpc.fulfillment_overview("CSCO11000098")["entitlements"], message="later events applied")

    assert rpc.fulfillment_overview("CSCO11000003")["entitlements"] == []


def test_a_revoked_certification_cannot_be_claimed_or_bought_and_an_older_event_does_not_revive_it(rpc, amqp_uri):
    achieve(amqp_uri, rpc, "CSCO11000004")
    revoked = certification_event("CSCO11000004", "certification_revoked", revision=5, status="revoked")
    revoked["reason"] = "exam security violation"
    publish_raw(amqp_uri, "certs.events", "certification_revoked", revoked, message_id=revoked["event_id"])
    wait_for(lambda: not rpc.fulfillment_overview("CSCO11000004")["entitlements"][0]["claimable"],
             message="the revocation applied")
    stale = certification_event("CSCO11000004", revision=3, first_achievement=False)
    publish_raw(amqp_uri, "certs.events", "certification_achieved", stale, message_id=stale["event_id"])
    marker = certification_event("CSCO11000097")
    publish_raw(amqp_uri, "certs.events", "certification_achieved", marker, message_id=marker["event_id"])
    wait_for(lambda: rpc.fulfillment_overview("CSCO11000097")["entitlements"], message="later events applied")

    overview = rpc.fulfillment_overview("CSCO11000004")
    assert overview["entitlements"][0]["claimable"] is False
    assert overview["purchasable"] == []


class _Outbox:
    def __init__(self):
        self.mails, self.events = [], []

    def mail(self, message):
        self.mails.append(message)

    def publish(self, event):
        self.events.append(event)


def test_an_address_arriving_while_the_achievement_commits_still_gets_its_congratulation(fulfillment_config):
    """The kit is granted in one transaction while identity's address arrives in another:
    whichever commits second must send the mail (kits.lock_candidate)."""
    from datetime import datetime, timezone

    import eventlet
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from certtrack_shared.contracts import parse_message
    from fulfillment.handlers import kits

    now = datetime.now(timezone.utc)
    achieved = parse_message("certs.events", "certification_achieved", certification_event("CSCO11000042"))
    registered = parse_message("identity.events", "candidate_registered", {
        "schema_version": 1, "event_id": "id-race", "occurred_at": now.isoformat(),
        "candidate_id": "CSCO11000042", "program": "cisco", "first_name": "Ada", "last_name": "Lovelace",
        "email": "kit.race@example.com", "source": "vendor"})
    engine = create_engine(fulfillment_config["DATABASE_URL"])
    granting, addressing = _Outbox(), _Outbox()
    try:
        with Session(engine) as first, Session(engine) as second:
            kits.record_certification(first, granting, achieved, now)  # granted, no address yet

            def address_arrives():
                kits.record_candidate(second, addressing, registered, now)
                second.commit()

            other = eventlet.spawn(address_arrives)
            eventlet.sleep(0.5)
            assert not other.dead  # waits for the grant's transaction
            first.commit()
            other.wait()
    finally:
        engine.dispose()

    assert granting.mails == []
    [mail] = addressing.mails
    assert "kit.race@example.com" in str(mail)
