"""Digital badges on the running service: issued from certs' own events, revoked
within seconds, verifiable by a third party that only fetches what the
credential names (here through the same RPCs the gateway serves them with)."""
from __future__ import annotations

import base64
import json
import time
from datetime import date, datetime, timezone

import eventlet

import pytest
from jwt.algorithms import ECAlgorithm
from nameko.exceptions import RemoteError
from openbadgeslib.ob3.verifier import OB3VerificationError, OB3Verifier

from sqlalchemy.orm import Session

from certtrack_shared import config
from certtrack_shared.database import make_psycopg_green

from certs.catalog.loaded import LoadedCatalogs
from certs.credentials import baking, keys, signing, status_list
from certs.credentials.issuing import Issuing
from certs.credentials.openbadges import Site
from certs.handlers import credentials
from certs.models import Candidate, CredentialStatusList, PublishedStanding
from tests.harness.messages import wait_for

from services.certs.tests.events import passed, register, revoke

CSCO = "CSCO10000001"
SITE = config.site_url().rstrip("/")


def _only_credential(rpc, candidate_id=CSCO, count=1):
    return wait_for(lambda: len(rpc.candidate_credentials(candidate_id)) == count
                    and rpc.candidate_credentials(candidate_id), message="credentials issued")


def _parts_of(url: str) -> list[str]:
    return url[len(SITE):].strip("/").split("/")


def _third_party(rpc, token):
    """openbadgeslib, given only what a verifier can fetch: the kid's JWK and the status list."""
    header, _ = signing.unverified_parts(token)
    _, _, program, _, key_id = _parts_of(header["kid"])
    verifier = OB3Verifier(ECAlgorithm.from_jwk(json.dumps(rpc.credential_key(program, key_id))))

    def fetch(url):
        *_, list_program, _, _, number = _parts_of(url)
        return rpc.credential_status_list(list_program, int(number)).encode()

    return verifier, fetch


def test_an_achievement_is_issued_once_and_a_third_party_verifies_it(start_certs, certs_amqp, certs_db, rpc):
    start_certs(today="2026-06-01")
    register(certs_amqp, certs_db, CSCO, "ada.badge@example.com")
    passed(certs_amqp, certs_db, CSCO, "200-301", "2026-03-02")
    [item] = _only_credential(rpc)
    assert (item["certification_id"], item["format"], item["valid_from"], item["valid_until"]) == (
        "ccna", "vc+jwt", "2026-03-02", "2029-03-02")
    assert item["verification_url"].startswith(f"{SITE}/verify/certificate/")

    verifier, fetch = _third_party(rpc, item["credential"])
    credential = verifier.verify(item["credential"], check_status=True, download=fetch)
    assert credential.achievement.name == "CCNA"
    assert rpc.verify_credential(credential=item["credential"]) == {"verified": True, "status": "active", "errors": []}
    time.sleep(1)  # a redelivered announcement would have been applied by now
    assert len(rpc.candidate_credentials(CSCO)) == 1


def test_revocation_reaches_the_status_list_within_seconds(start_certs, certs_amqp, certs_db, rpc):
    start_certs(today="2026-06-01")
    register(certs_amqp, certs_db, CSCO, "ada.revoked@example.com")
    result = passed(certs_amqp, certs_db, CSCO, "200-301", "2026-03-02")
    [item] = _only_credential(rpc)
    verifier, fetch = _third_party(rpc, item["credential"])

    revoke(certs_amqp, certs_db, result)
    started = time.monotonic()

    def revoked():
        try:
            verifier.verify(item["credential"], check_status=True, download=fetch)
        except OB3VerificationError as error:
            return "is set" in str(error)
        return False

    wait_for(revoked, timeout=10, message="the credential's bit set")
    assert time.monotonic() - started < 10
    assert rpc.verify_credential(credential=item["credential"])["status"] == "revoked"
    assert rpc.candidate_credentials(CSCO) == []


def test_renewal_issues_a_new_credential_and_keeps_the_old_one_valid(start_certs, certs_amqp, certs_db, rpc):
    start_certs(today="2026-06-01")
    register(certs_amqp, certs_db, CSCO, "ada.renews@example.com")
    passed(certs_amqp, certs_db, CSCO, "200-301", "2024-01-15")
    [first] = _only_credential(rpc)
    passed(certs_amqp, certs_db, CSCO, "200-301", "2026-03-01")
    [renewed] = wait_for(lambda: [item for item in rpc.candidate_credentials(CSCO)
                                  if item["valid_from"] == "2026-03-01"], message="renewed credential")
    assert renewed["valid_until"] == "2029-03-01" and renewed["credential_id"] != first["credential_id"]
    assert renewed["verification_url"] == first["verification_url"]
    assert rpc.verify_credential(credential=first["credential"])["status"] == "active"

    page = rpc.verify_certificate(renewed["verification_url"].rsplit("/", 1)[1])
    assert (page["status"], page["active_on"], page["first_awarded_on"]) == ("active", "2026-03-01", "2024-01-15")
    assert page["periods"] == [
        {"active_on": "2024-01-15", "expires_on": "2027-01-15", "revoked": False},
        {"active_on": "2026-03-01", "expires_on": "2029-03-01", "revoked": False}]
    assert page["badge"] == {"verified": True, "status": "active", "errors": []}


def test_a_certification_achieved_before_the_address_is_known_gets_its_badge_when_it_is(
        start_certs, certs_amqp, certs_db, rpc):
    start_certs(today="2026-06-01")
    passed(certs_amqp, certs_db, CSCO, "200-301", "2026-03-02")
    assert rpc.candidate_credentials(CSCO) == []
    register(certs_amqp, certs_db, CSCO, "late.badge@example.com")
    _only_credential(rpc)


def test_downloads_carry_the_signed_credential_in_every_format(start_certs, certs_amqp, certs_db, rpc):
    start_certs(today="2026-06-01")
    register(certs_amqp, certs_db, CSCO, "ada.downloads@example.com")
    passed(certs_amqp, certs_db, CSCO, "200-301", "2026-03-02")
    [item] = _only_credential(rpc)

    def content(format):
        reply = rpc.credential_download(CSCO, "ccna", format)
        return reply["content_type"], base64.b64decode(reply["data_b64"])

    assert content("jwt") == ("application/vc+jwt", item["credential"].encode())
    kind, document = content("json")
    assert kind == "application/json" and json.loads(document)["id"] == item["credential_id"]
    assert rpc.verify_credential(credential=document.decode())["verified"] is True
    png_kind, png = content("png")
    svg_kind, svg = content("svg")
    assert (png_kind, svg_kind) == ("image/png", "image/svg+xml")
    assert baking.extract(png) == baking.extract(svg) == item["credential"]
    assert rpc.verify_credential(image_base64=base64.b64encode(png).decode())["status"] == "active"
    with pytest.raises(RemoteError, match="CredentialNotFound"):
        rpc.credential_download(CSCO, "ccna", "exe")
    with pytest.raises(RemoteError, match="CredentialNotFound"):
        rpc.credential_download("CSCO10000002", "ccna", "jwt")


def test_the_public_documents_name_each_other(start_certs, rpc):
    start_certs(today="2026-06-01")
    profile = rpc.credential_issuer("cisco")
    assert profile["id"] == f"{SITE}/credentials/issuers/cisco" and profile["url"] == "https://www.cisco.com/"
    [method] = profile["verificationMethod"]
    *_, key_id = _parts_of(method["id"])
    assert rpc.credential_key("cisco", key_id) == method["publicKeyJwk"]
    achievement = rpc.credential_achievement("cisco", "ccna")
    assert (achievement["humanCode"], achievement["achievementType"]) == ("CCNA", "Certification")
    assert achievement["criteria"]["narrative"].startswith("Pass 200-301")
    assert base64.b64decode(rpc.credential_achievement_image("cisco", "ccna")).startswith(b"\x89PNG")
    for call in (lambda: rpc.credential_issuer("nosuch"), lambda: rpc.credential_key("cisco", "nokey"),
                 lambda: rpc.credential_achievement("cisco", "nosuch"), lambda: rpc.credential_status_list("cisco", 99)):
        with pytest.raises(RemoteError, match="CredentialNotFound"):
            call()


def test_hostile_verification_input_is_answered_not_raised(start_certs, rpc):
    start_certs(today="2026-06-01")
    for submitted in ("", "x" * 100_000, "{" * 5000, "a.b.c"):
        reply = rpc.verify_credential(credential=submitted)
        assert reply["verified"] is False and reply["errors"]
    assert rpc.verify_credential(image_base64=base64.b64encode(b"GIF89a").decode())["verified"] is False


def _active_ccna(session, candidate_id, code, now, email):
    """A candidate certified in CCNA as certs keeps it, without running the service."""
    session.add(Candidate(candidate_id=candidate_id, program="cisco", first_name="Ada", last_name="L",
                          email=email, updated_at=now))
    standing = PublishedStanding(
        candidate_id=candidate_id, program="cisco", certification_id="ccna", status="active",
        started_on=date(2026, 3, 2), active_on=date(2026, 3, 2), expires_on=date(2029, 3, 2), revision=1,
        ever_achieved=True, certificate_code=code, updated_at=now)
    session.add(standing)
    session.flush()
    return standing


def _issuing():
    return LoadedCatalogs.load(), Issuing(Site(SITE), {"cisco": keys.new_ring("cisco")}), datetime.now(timezone.utc)


def test_two_revocations_at_once_both_reach_the_published_list(certs_db):
    """Each revocation signs the list again; the second waits for the first, so neither bit is lost."""
    make_psycopg_green()
    catalogs, issuing, now = _issuing()
    candidates = ("CSCO20000001", "CSCO20000002")
    with Session(certs_db) as session:
        for number, candidate_id in enumerate(candidates):
            _active_ccna(session, candidate_id, f"code-{number}", now, f"ada{number}@example.com")
        indexes = [credentials.issue_due(session, issuing, catalogs, candidate_id, now)[0].status_index
                   for candidate_id in candidates]
        session.commit()

    first, second = Session(certs_db), Session(certs_db)
    credentials.revoke(first, issuing, catalogs, candidates[0], "ccna", now)
    waiting = eventlet.spawn(credentials.revoke, second, issuing, catalogs, candidates[1], "ccna", now)
    eventlet.sleep(0.5)  # the second revocation is under way, held by the first's lock
    first.commit()
    waiting.wait()
    second.commit()
    first.close()
    second.close()

    with Session(certs_db) as session:
        token = session.get(CredentialStatusList, ("cisco", 1)).token
    bits = status_list.decode(signing.unverified_parts(token)[1]["credentialSubject"]["encodedList"])
    assert all(status_list.is_set(bits, index) for index in indexes)


def test_a_period_whose_expiry_changed_shows_one_badge_for_the_new_period(certs_db):
    catalogs, issuing, now = _issuing()
    with Session(certs_db) as session:
        standing = _active_ccna(session, CSCO, "code-x", now, "ada@example.com")
        credentials.issue_due(session, issuing, catalogs, CSCO, now)
        standing.expires_on, standing.revision = date(2030, 3, 2), 2  # e.g. the catalog's validity grew
        credentials.issue_due(session, issuing, catalogs, CSCO, now)
        [item] = credentials.credentials(session, catalogs, CSCO)
        assert item.valid_until == date(2030, 3, 2)
