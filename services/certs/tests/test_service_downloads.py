"""Agreement, logo and certificate downloads, and public certificate verification."""
from __future__ import annotations

import base64
import io
import json

import pytest
from nameko.exceptions import RemoteError
from pypdf import PdfReader

from services.certs.tests.events import passed, register, revoke

CSCO, OTHER = "CSCO10000001", "CSCO10000002"


@pytest.fixture
def ada(start_certs, certs_amqp, certs_db):
    start_certs(today="2026-06-01", )
    register(certs_amqp, certs_db, CSCO, "docs.ada@example.com")
    register(certs_amqp, certs_db, OTHER, "docs.grace@example.com", first_name="Grace", last_name="Hopper")
    return passed(certs_amqp, certs_db, CSCO, "200-301", "2026-03-02")


def error_of(call, *args, **kwargs) -> tuple[str, dict]:
    with pytest.raises(RemoteError) as raised:
        call(*args, **kwargs)
    return raised.value.exc_type, json.loads(raised.value.value)


def test_downloads_wait_for_the_current_agreement(ada, rpc):
    agreement = rpc.certification_agreement(CSCO)
    assert agreement["version"] == 1 and agreement["needs_acceptance"] is True and agreement["body"]
    [item] = rpc.certifications(CSCO)["items"]
    assert item["downloads"] is False and item["certificate_code"]
    kind, detail = error_of(rpc.logo, CSCO, "ccna", "svg")
    assert kind == "AgreementRequired" and detail["message"]
    assert error_of(rpc.certificate_pdf, CSCO, "ccna")[0] == "AgreementRequired"
    assert error_of(rpc.accept_certification_agreement, CSCO, 2)[0] == "AgreementVersionMismatch"

    accepted = rpc.accept_certification_agreement(CSCO, 1)
    assert accepted["needs_acceptance"] is False and accepted["accepted_version"] == 1
    reply = rpc.certifications(CSCO)
    assert reply["agreement"]["accepted"] is True and reply["items"][0]["downloads"] is True

    svg = rpc.logo(CSCO, "ccna", "svg")
    assert svg["content_type"] == "image/svg+xml" and b"CCNA" in base64.b64decode(svg["data_b64"])
    png = rpc.logo(CSCO, "ccna", "png")
    assert base64.b64decode(png["data_b64"]).startswith(b"\x89PNG")

    pdf = rpc.certificate_pdf(CSCO, "ccna")
    assert pdf["content_type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(base64.b64decode(pdf["data_b64"]))).pages)
    code = item["certificate_code"]
    assert "Ada Lovelace" in text and "CCNA" in text and code in text

    # A new version asks again.
    rpc.publish_certification_agreement("cisco", "Cisco Certification Agreement (2027)", "New terms.",
                                        "legal@example.com")
    assert rpc.certification_agreement(CSCO)["needs_acceptance"] is True
    assert error_of(rpc.logo, CSCO, "ccna", "png")[0] == "AgreementRequired"

    # Staff see every version, newest first, with who published it.
    programs = {entry["program"]: entry for entry in rpc.certification_agreement_versions()["programs"]}
    assert sorted(programs) == ["cisco", "juniper"]
    cisco = programs["cisco"]
    assert cisco["name"] == "Cisco" and cisco["current_version"] == 2
    assert [(v["version"], v["published_by"]) for v in cisco["versions"]] == [(2, "legal@example.com"), (1, None)]
    assert cisco["versions"][0]["title"] == "Cisco Certification Agreement (2027)"
    assert programs["juniper"]["current_version"] == 1


def test_nothing_to_download_for_a_certification_not_held(ada, rpc):
    rpc.accept_certification_agreement(OTHER, 1)
    assert error_of(rpc.certificate_pdf, OTHER, "ccna")[0] == "CertificationNotActive"
    assert error_of(rpc.logo, OTHER, "ccna", "svg")[0] == "CertificationNotActive"
    assert error_of(rpc.logo, CSCO, "jncia_junos", "svg")[0] == "CertificationNotFound"
    assert error_of(rpc.certification, CSCO, "no_such_thing")[0] == "CertificationNotFound"
    assert error_of(rpc.certifications, "CSCO99999999")[0] == "CandidateNotFound"
    assert rpc.certifications(OTHER)["items"] == []
    untouched = rpc.certification(OTHER, "ccnp_enterprise")
    assert untouched["status"] == "in_progress" and not any(p["met"] for p in untouched["progress"])


def refusals(rpc, candidate_id, certification_id) -> list[tuple[str, str]]:
    """(error, status) of the SVG logo, the PNG logo and the PDF certificate of one certification."""
    calls = [(rpc.logo, "svg"), (rpc.logo, "png"), (rpc.certificate_pdf,)]
    found = []
    for call, *format_ in calls:
        kind, detail = error_of(call, candidate_id, certification_id, *format_)
        found.append((kind, detail.get("status")))
    return found


def test_an_expired_certification_cannot_be_downloaded(ada, rpc, certs_amqp, certs_db):
    passed(certs_amqp, certs_db, OTHER, "200-301", "2022-01-10")  # expired on 10 Jan 2025
    passed(certs_amqp, certs_db, OTHER, "200-201", "2026-01-05")  # CyberOps Associate, active
    rpc.accept_certification_agreement(OTHER, 1)

    assert rpc.certification(OTHER, "ccna")["status"] == "expired"
    assert refusals(rpc, OTHER, "ccna") == [("CertificationNotActive", "expired")] * 3
    # The agreement is accepted: the active one still downloads.
    assert rpc.certificate_pdf(OTHER, "cyberops_associate")["content_type"] == "application/pdf"


def test_a_revoked_certification_cannot_be_downloaded(ada, rpc, certs_amqp, certs_db):
    rpc.accept_certification_agreement(CSCO, 1)
    assert rpc.logo(CSCO, "ccna", "svg")["content_type"] == "image/svg+xml"  # while it stands

    revoke(certs_amqp, certs_db, ada)

    assert rpc.certification(CSCO, "ccna")["status"] == "revoked"
    assert refusals(rpc, CSCO, "ccna") == [("CertificationNotActive", "revoked")] * 3


def test_a_certificate_code_shows_the_live_status(ada, rpc, certs_amqp, certs_db):
    code = rpc.certifications(CSCO)["items"][0]["certificate_code"]
    assert len(code) >= 16 and code.replace("-", "").replace("_", "").isalnum()
    verified = rpc.verify_certificate(code)
    assert (verified["candidate_name"], verified["certification_id"], verified["status"]) == (
        "Ada Lovelace", "ccna", "active")
    assert (verified["active_on"], verified["expires_on"]) == ("2026-03-02", "2029-03-02")
    assert error_of(rpc.verify_certificate, code[:-1] + ("A" if code[-1] != "A" else "B"))[0] == \
        "CertificateNotFound"

    revoke(certs_amqp, certs_db, ada)
    assert rpc.verify_certificate(code)["status"] == "revoked"
    assert rpc.certifications(CSCO)["items"][0]["certificate_code"] == code  # kept, never reissued
