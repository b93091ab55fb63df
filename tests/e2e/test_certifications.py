"""Certifications end to end: a testing vendor reports exams over the broker,
exams and identity make a candidate of them, certs evaluates the sittings; the
candidate (headless Chromium) sees CCNA active and CCNP Enterprise in progress,
accepts the certification agreement and downloads the PDF certificate (read
back with pypdf) and both logos. A second candidate can neither see nor
download the first one's certificate; its public verification page shows the
live status. Then continuing education: a candidate submits a certificate of
attendance, staff approve it with credits in the staff console (and reload
the catalog), and the credits renew the candidate's CCNA; before that, a
submission too late and of the wrong kind of file is refused by certs with
each reason beside its field. Last, a first CCIE: certs assigns the number,
identity records it, and Personal Info shows it read-only."""
from __future__ import annotations

import io
import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import expect
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from pypdf import PdfReader

from tests.e2e.identity_steps import identity_rpc
from tests.e2e.staff_steps import log_in_browser
from tests.e2e.test_testing_history import PASSWORD, candidate_with_exams
from tests.harness.messages import wait_for

ENCOR = ("350-401", "Implementing Cisco Enterprise Network Core Technologies")
CCNA = ("200-301", "Implementing and Administering Cisco Solutions")


def certs_standing(amqp_uri, candidate_id) -> dict:
    """certs' view of the candidate, by id; {} while certs has not heard of them."""
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
        try:
            return {item["id"]: item for item in rpc.certs.certifications(candidate_id=candidate_id)["items"]}
        except Exception as error:  # CandidateNotFound until identity's event reaches certs
            if getattr(error, "exc_type", None) == "CandidateNotFound":
                return {}
            raise


def log_in(page, stack, candidate_id):
    page.goto(f"{stack.url}/login")
    page.get_by_label("Candidate ID or email address").fill(candidate_id)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{stack.url}/")


def downloaded(page, row, link_name: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        row.get_by_role("link", name=link_name).click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


@pytest.mark.browser
@pytest.mark.slow
def test_candidate_sees_progress_accepts_the_agreement_and_downloads_only_their_own(stack, amqp_uri, browser, page):
    email = f"barbara.{uuid.uuid4().hex[:10]}@example.com"
    # The core exam first: its Specialist, half of CCNP Enterprise; then CCNA.
    candidate_id = candidate_with_exams(stack, amqp_uri, email, [
        (str(uuid.uuid4().int)[:9], ENCOR, "2026-01-05T10:00:00Z", 901),
        (str(uuid.uuid4().int)[:9], CCNA, "2026-03-05T14:30:00Z", 870),
    ])
    standing = wait_for(lambda: (s := certs_standing(amqp_uri, candidate_id)).get("ccna", {}).get("status")
                        == "active" and s, timeout=60, message="certs to grant CCNA")
    code = standing["ccna"]["certificate_code"]
    assert code
    # The name on the certificate is the candidate's record at identity (which certs follows by events).
    with identity_rpc(amqp_uri) as identity:
        profile = identity.get_profile(candidate_id=candidate_id)
    name = f"{profile['first_name']} {profile['last_name']}"
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
        wait_for(lambda: rpc.certs.verify_certificate(code=code)["candidate_name"] == name, timeout=30,
                 message="certs to hold the candidate's name")

    # Certifications, from the main navigation.
    log_in(page, stack, candidate_id)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Certifications").click()
    page.wait_for_url(f"{stack.url}/certifications")
    expect(page.get_by_role("heading", name="Certifications", level=1)).to_be_visible()

    active = page.locator("table.certifications__active")
    headers = [text.strip() for text in active.locator("thead th").all_inner_texts()]
    assert headers == ["Name", "Started", "Active", "Expiration Date", "Downloads"]
    ccna = active.locator("tbody tr").filter(has=page.get_by_role("link", name="CCNA", exact=True))
    assert ccna.locator('td[data-label="Started"]').inner_text() == "5 Mar 2026"
    assert ccna.locator('td[data-label="Active"]').inner_text() == "5 Mar 2026"
    assert ccna.locator('td[data-label="Expiration Date"]').inner_text() == "5 Mar 2029"
    # No download before the agreement.
    assert ccna.get_by_role("link", name="PDF Certificate").count() == 0
    assert "Accept the certification agreement" in ccna.locator('td[data-label="Downloads"]').inner_text()

    # CCNP Enterprise in progress: the core exam met (with its date), a concentration to go.
    ccnp = page.locator("article.certification-progress").filter(
        has=page.get_by_role("heading", name="CCNP Enterprise"))
    met = ccnp.locator(".progress-list__item--met").inner_text()
    assert "Pass 350-401" in met and "met on 5 Jan 2026" in met
    remaining = ccnp.locator(".progress-list__item--open").inner_text()
    assert "still needed: one of 300-410, 300-415, 300-420" in remaining

    # The agreement: its text, then accepting it.
    agreement = page.locator("#agreement")
    expect(agreement.get_by_role("heading", name="Cisco Certification and Logo Agreement")).to_be_visible()
    agreement.get_by_role("button", name=re.compile(r"I accept version \d+ of the certification agreement")).click()
    page.wait_for_url(re.compile(r"/certifications(#agreement)?$"))
    expect(page.get_by_text("Thank you: you accepted version")).to_be_visible()

    # The PDF certificate: name, certification, dates and code, as text.
    ccna = page.locator("table.certifications__active tbody tr").filter(
        has=page.get_by_role("link", name="CCNA", exact=True))
    filename, pdf = downloaded(page, ccna, "PDF Certificate")
    assert filename == "ccna-certificate.pdf" and pdf.startswith(b"%PDF")
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert name in text
    assert "CCNA" in text
    assert "Active since 5 March 2026" in text and "Valid through 4 March 2029" in text
    assert code in text

    # Both logos.
    filename, svg = downloaded(page, ccna, "Logo SVG")
    assert filename == "ccna-logo.svg" and b"<svg" in svg[:400] and b"CCNA" in svg
    filename, png = downloaded(page, ccna, "Logo PNG")
    assert filename == "ccna-logo.png" and png.startswith(b"\x89PNG\r\n\x1a\n")

    # The certificate's public page shows the live status, without a login.
    public = browser.new_context().new_page()
    public.goto(f"{stack.url}/verify/certificate/{code}")
    facts = public.locator("dl.facts").inner_text()
    assert name in facts and "CCNA" in facts and "Active" in facts and "5 Mar 2029" in facts
    assert public.goto(f"{stack.url}/verify/certificate/not-a-real-code").status == 404
    public.context.close()

    # A second candidate: nothing of the first one's shows, nothing downloads.
    other_email = f"edsger.{uuid.uuid4().hex[:10]}@example.com"
    other_id = candidate_with_exams(stack, amqp_uri, other_email, [
        (str(uuid.uuid4().int)[:9], CCNA, "2026-04-01T09:00:00Z", 610),  # failed: counts for nothing
    ])
    wait_for(lambda: certs_standing(amqp_uri, other_id) == {} and _known_to_certs(amqp_uri, other_id),
             timeout=60, message="certs to know the second candidate")
    other = browser.new_context().new_page()
    log_in(other, stack, other_id)
    other.goto(f"{stack.url}/certifications")
    expect(other.get_by_text("You have no certifications yet.")).to_be_visible()
    assert code not in other.content()
    for name in ("certificate.pdf", "logo.svg", "logo.png"):
        answer = other.goto(f"{stack.url}/certifications/ccna/{name}")
        assert answer.status in (404, 409), name
        assert "%PDF" not in other.content()
    other.goto(f"{stack.url}/certifications/ccna")
    assert code not in other.content() and "5 Mar 2029" not in other.content()
    token = requests.post(f"{stack.url}/api/v1/auth/token", json={"login": other_email, "password": PASSWORD},
                          timeout=10).json()["access_token"]
    refused = requests.get(f"{stack.url}/api/v1/me/certifications/ccna/certificate.pdf",
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert refused.status_code in (404, 409)
    assert refused.json()["error"]["code"] in ("certification_not_active", "agreement_required")
    other.context.close()

    # The first candidate's API agrees with the page.
    token = requests.post(f"{stack.url}/api/v1/auth/token", json={"login": email, "password": PASSWORD},
                          timeout=10).json()["access_token"]
    items = {i["id"]: i for i in requests.get(f"{stack.url}/api/v1/me/certifications",
                                               headers={"Authorization": f"Bearer {token}"}, timeout=10).json()["items"]}
    assert (items["ccna"]["status"], items["ccna"]["active_on"], items["ccna"]["expires_on"]) == (
        "active", "2026-03-05", "2029-03-05")
    assert items["ccnp_enterprise"]["status"] == "in_progress"
    assert [p["met"] for p in items["ccnp_enterprise"]["progress"]] == [True, False]


def _known_to_certs(amqp_uri, candidate_id) -> bool:
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
        try:
            rpc.certs.certification_agreement(candidate_id=candidate_id)
        except Exception as error:
            if getattr(error, "exc_type", None) == "CandidateNotFound":
                return False
            raise
    return True


STAFF_PASSWORD = "granite meadow copper lamp"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.mark.browser
@pytest.mark.slow
def test_ce_credits_approved_by_staff_renew_a_certification(stack, amqp_uri, browser, page):
    email = f"frances.{uuid.uuid4().hex[:10]}@example.com"
    candidate_id = candidate_with_exams(stack, amqp_uri, email, [
        (str(uuid.uuid4().int)[:9], CCNA, "2026-03-05T14:30:00Z", 870)])
    wait_for(lambda: certs_standing(amqp_uri, candidate_id).get("ccna", {}).get("status") == "active",
             timeout=60, message="certs to grant CCNA")
    completed = (datetime.now(timezone.utc) - timedelta(days=10)).date()

    # The candidate sends a certificate of attendance.
    log_in(page, stack, candidate_id)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Continuing Education").click()
    page.wait_for_url(f"{stack.url}/continuing-education")
    balance = page.locator("table.ce-balances tbody tr").filter(has_text="CCNA")
    assert balance.locator('td[data-label="Credits available"]').inner_text() == "0"
    assert "30 CE credits" in balance.locator('td[data-label="Still needed to renew"]').inner_text()

    # Too late (120 days ago) and a GIF: certs refuses both, each reason beside its field; nothing is filed.
    page.get_by_label("Title of the activity").fill("Cisco Live Amsterdam: automation track")
    page.get_by_label("Provider").fill("Cisco Live")
    page.get_by_label("Completion date").fill((completed - timedelta(days=110)).isoformat())
    page.get_by_label("Certificate of completion").set_input_files(
        {"name": "attendance.pdf", "mimeType": "application/pdf", "buffer": b"GIF89a\x01\x00\x01\x00 not a pdf"})
    page.get_by_role("button", name="Submit for review").click()
    assert page.locator("#completed_on-error").inner_text().endswith("within 90 days of its completion.")
    assert "PDF, JPEG or PNG" in page.locator("#document-error").inner_text()
    assert page.locator("table.ce-activities").count() == 0
    page.get_by_label("Title of the activity").fill("Cisco Live Amsterdam: automation track")
    page.get_by_label("Provider").fill("Cisco Live")
    page.get_by_label("Completion date").fill(completed.isoformat())
    page.get_by_label("Certificate of completion").set_input_files(
        {"name": "attendance.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(f"{stack.url}/continuing-education")
    expect(page.get_by_text("is submitted. Our team reviews it")).to_be_visible()
    row = page.locator("table.ce-activities tbody tr").filter(has_text="Cisco Live Amsterdam")
    assert "Waiting for review" in row.inner_text()

    # Staff find it in the review queue, see the document, approve it with 30 credits.
    # An administrator: the same session reloads the catalog below, which support may not.
    staff_email = f"admin.{uuid.uuid4().hex[:8]}@example.com"
    with identity_rpc(amqp_uri) as identity:
        identity.staff_create(email=staff_email, name="Ada Admin", role="admin", password=STAFF_PASSWORD)
    staff = browser.new_context().new_page()
    staff.goto(f"{stack.url}/staff/continuing-education")
    staff.wait_for_url(f"{stack.url}/staff/login?**")
    log_in_browser(staff, stack, staff_email, STAFF_PASSWORD, then="/staff/continuing-education")
    staff.get_by_role("link", name=re.compile("Cisco Live Amsterdam")).click()
    staff.wait_for_url(re.compile(r"/staff/continuing-education/\d+$"))
    document = staff.request.get(stack.url + staff.locator("iframe.document-frame").get_attribute("src"))
    assert document.status == 200 and document.body() == PDF
    staff.get_by_label("CE credits (1 to 200)").fill("30")
    staff.get_by_role("button", name="Approve").click()
    staff.wait_for_url(f"{stack.url}/staff/continuing-education")
    expect(staff.get_by_text("Approved with 30 CE credits")).to_be_visible()

    # The catalog page and its reload.
    staff.get_by_role("navigation", name="Staff").get_by_role("link", name="Catalog").click()
    expect(staff.get_by_role("heading", name="Cisco", exact=True)).to_be_visible()
    staff.get_by_role("button", name="Reload catalog").click()
    # The page posts back to the same URL: wait for the answer rather than the address.
    staff.get_by_text(re.compile(r"Catalog reloaded \(cisco, juniper\): \d+ changes?, \d+ candidates? re-evaluated"
                                 )).wait_for(timeout=30_000)
    staff.context.close()

    # The credits completed CCNA's 30-credit path: a new period from the completion day.
    page.goto(f"{stack.url}/continuing-education")
    row = page.locator("table.ce-activities tbody tr").filter(has_text="Cisco Live Amsterdam")
    assert "Approved" in row.inner_text() and row.locator('td[data-label="Credits"]').inner_text() == "30"
    page.goto(f"{stack.url}/certifications/ccna")
    facts = page.locator("dl.facts").inner_text()
    shown = f"{completed.day} {completed:%b %Y}"
    assert f"Active since\n{shown}" in facts or f"Active since {shown}" in facts
    assert "Recertified on" in page.locator("ol.history").inner_text()
    assert "30 CE credits" in page.locator("ol.history").inner_text()


LAB = ("CCIE-EI-LAB", "CCIE Enterprise Infrastructure Lab Exam")


@pytest.mark.browser
@pytest.mark.slow
def test_a_first_ccie_gets_its_number_shown_read_only_on_personal_info(stack, amqp_uri, page):
    email = f"radia.{uuid.uuid4().hex[:10]}@example.com"
    candidate_id = candidate_with_exams(stack, amqp_uri, email, [
        (str(uuid.uuid4().int)[:9], ENCOR, "2026-02-02T09:00:00Z", 880),
        (str(uuid.uuid4().int)[:9], LAB, "2026-06-15T08:00:00Z", 900),
    ])
    wait_for(lambda: certs_standing(amqp_uri, candidate_id).get("ccie_enterprise_infrastructure", {})
             .get("status") == "active", timeout=60, message="certs to grant the CCIE")
    # certs numbers it; identity records the number from certs' event.
    with identity_rpc(amqp_uri) as identity:
        number = wait_for(lambda: identity.get_profile(candidate_id=candidate_id)["ccie_number"], timeout=60,
                          message="identity to record the CCIE number")
    assert re.fullmatch(r"\d+", number)

    log_in(page, stack, candidate_id)
    page.goto(f"{stack.url}/certifications")
    active = page.locator("table.certifications__active")
    expect(active.get_by_role("link", name="CCIE Enterprise Infrastructure")).to_be_visible()
    page.goto(f"{stack.url}/personal-info/attributes")
    shown = page.locator(".details-list div").filter(has_text="CCIE number")
    assert shown.locator("dd").inner_text().split()[0] == number
    assert "Read-only" in shown.inner_text()
    # Nothing on the page edits it.
    assert page.locator('input[name="ccie_number"]').count() == 0
