"""The Certifications pages, downloads, the certification agreement, Continuing
Education and public certificate verification, with identity and certs
replaced by honest fakes (gateway/tests/fakes/identity.py, gateway/tests/fakes/certs.py —
whose standings are the real rules engine's, canned in fakes/certs.json)."""
from __future__ import annotations

import io
import re

import pytest
from .fakes.identity import csrf_token, log_in, submit

from .accounts import OTHER_PASSWORD, PASSWORD

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"


@pytest.fixture
def ada_ccna(ada, certs):
    """CCNA active since 10 Feb 2026; the 300-410 Specialist active; CCNP Enterprise half done."""
    certs.pass_exam(ada, "300-410", "2026-01-05")
    certs.pass_exam(ada, "200-301", "2026-02-10")
    return ada


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _section(page: str, heading: str) -> str:
    """The page from `heading` to the next h2."""
    start = page.index(f">{heading}</h2>") + 1
    end = page.find("<h2", start)
    return page[start:end if end != -1 else None]


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [_plain(row) for row in body.split("</tr>")[:-1]]


def _accept(client, version="1"):
    return submit(client, "/certifications/agreement", {"version": version}, form_page="/certifications")


# -- who sees it ------------------------------------------------------------------------------
def test_the_pages_need_a_login(client, certs):
    for path in ("/certifications", "/certifications/ccna", "/certifications/ccna/certificate.pdf",
                 "/continuing-education"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == f"/login?next={path}"
    assert certs.calls == []


def test_the_nav_leads_to_certifications_and_continuing_education(as_ada):
    home = _text(as_ada.get("/"))
    assert '<a href="/certifications">Certifications</a>' in home
    assert '<a href="/continuing-education">Continuing Education</a>' in home

    page = _text(as_ada.get("/certifications"))
    assert '<a href="/certifications" aria-current="page">Certifications</a>' in page
    assert "<h1>Certifications</h1>" in page


def test_a_candidate_with_nothing_toward_a_certification_sees_the_empty_state(as_ada):
    page = _text(as_ada.get("/certifications"))

    assert "You have no certifications yet." in page
    assert "Active Certifications" not in page and "<table" not in page


# -- the Certifications page ------------------------------------------------------------------
def test_active_certifications_show_name_dates_and_what_renews_them(as_ada, ada_ccna):
    page = _text(as_ada.get("/certifications"))

    active = _section(page, "Active Certifications")
    assert "<th scope=\"col\">Name</th><th scope=\"col\">Started</th><th scope=\"col\">Active</th>" \
           "<th scope=\"col\">Expiration Date</th><th scope=\"col\">Downloads</th>" in active
    rows = _rows(active)
    # The professional concentration exam's Specialist first (higher level), then CCNA.
    assert len(rows) == 2
    assert rows[0].startswith("Cisco Certified Specialist - Enterprise Advanced Infrastructure Implementation")
    assert rows[1].startswith("CCNA To renew: one associate exam, or one professional concentration exam")
    assert "10 Feb 2026 10 Feb 2026 10 Feb 2029" in rows[1]


def test_in_progress_shows_each_requirement_met_with_its_date_or_what_remains(as_ada, ada_ccna):
    page = _text(as_ada.get("/certifications"))

    progress = _plain(_section(page, "In progress"))
    assert progress.startswith("In progress CCNP Enterprise Started 5 Jan 2026 ")
    assert ("✓ Met: Pass one of 300-410, 300-415, 300-420, 300-425, 300-430, 300-435, 300-440, 300-445 "
            "— met on 5 Jan 2026") in progress
    assert ("○ Not met yet: Pass 350-401 (Implementing Cisco Enterprise Network Core Technologies) "
            "— still needed: exam 350-401") in progress


def test_expired_and_revoked_certifications_have_their_own_sections(as_ada, ada, certs):
    certs.pass_exam(ada, "200-201", "2022-06-01")  # CyberOps Associate, expired 1 Jun 2025
    certs.pass_exam(ada, "200-901", "2026-05-01", revoked=True)  # DevNet Associate, revoked

    page = _text(as_ada.get("/certifications"))

    assert "Active Certifications" not in page
    assert _rows(_section(page, "Expired")) == [
        "Cisco Certified CyberOps Associate Earn it again to be certified: nothing renews an expired certification. "
        "1 Jun 2022 1 Jun 2022 1 Jun 2025"]
    assert _rows(_section(page, "Revoked"))[0].startswith("Cisco Certified DevNet Associate An exam result it depended on was revoked")


def test_text_from_the_services_is_escaped(as_ada, ada, certs):
    certs.add_activity(ada, title="<script>alert(1)</script>")

    page = as_ada.get("/continuing-education").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# -- the agreement and downloads ---------------------------------------------------------------
def test_downloads_wait_for_the_agreement_whose_text_and_form_come_first(as_ada, ada_ccna):
    page = _text(as_ada.get("/certifications"))

    assert page.index('id="agreement"') < page.index("Active Certifications")
    assert ("Before you download a logo or a certificate, read the Cisco Certification and Logo Agreement "
            "(version 1) and accept it.") in page
    assert "<p>Use the logos only while certified.</p> <p>Do not alter the certificate.</p>" in page
    assert 'action="/certifications/agreement"' in page
    assert '<input id="version" name="version" type="hidden" value="1">' in page
    assert "/certifications/ccna/certificate.pdf" not in page
    assert "Accept the certification agreement to download the logo and certificate." in _plain(page)


def test_accepting_the_agreement_offers_every_download(as_ada, ada_ccna, certs):
    response = _accept(as_ada)

    assert response.status_code == 303
    assert response.headers["Location"] == "/certifications#agreement"
    assert certs.called("accept_certification_agreement") == [{"candidate_id": ada_ccna, "version": 1}]
    page = _text(as_ada.get("/certifications"))
    assert "Thank you: you accepted version 1 of the certification agreement." in page
    assert "You accepted version 1 of the Cisco Certification and Logo Agreement on" in page
    ccna = [row for row in page.split("<tr>") if ">CCNA<" in row][0]
    assert '<a href="/certifications/ccna/logo.svg" download>Logo SVG</a>' in ccna
    assert '<a href="/certifications/ccna/logo.png" download>Logo PNG</a>' in ccna
    assert '<a href="/certifications/ccna/certificate.pdf" download>PDF Certificate</a>' in ccna
    assert "I accept version" not in page


@pytest.mark.parametrize("path, content_type, filename", [
    ("/certifications/ccna/logo.svg", "image/svg+xml", "ccna-logo.svg"),
    ("/certifications/ccna/logo.png", "image/png", "ccna-logo.png"),
    ("/certifications/ccna/certificate.pdf", "application/pdf", "ccna-certificate.pdf"),
])
def test_downloads_have_their_type_and_filename(as_ada, ada_ccna, path, content_type, filename):
    _accept(as_ada)

    response = as_ada.get(path)

    assert response.status_code == 200
    assert response.mimetype == content_type
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data()
    assert body.startswith({"image/svg+xml": b"<svg", "image/png": b"\x89PNG", "application/pdf": b"%PDF"}[content_type])


def test_a_download_before_accepting_the_agreement_is_refused_in_words(as_ada, ada_ccna):
    response = as_ada.get("/certifications/ccna/certificate.pdf")

    assert response.status_code == 409
    assert response.mimetype == "text/html"
    assert "Accept the certification agreement first" in _text(response)


def test_a_certification_that_is_not_active_cannot_be_downloaded(as_ada, ada_ccna):
    _accept(as_ada)

    response = as_ada.get("/certifications/ccnp_enterprise/logo.png")

    assert response.status_code == 409
    assert "This certification is not active" in _text(response)


def test_accepting_a_replaced_version_says_so_and_records_nothing(as_ada, ada_ccna, certs):
    page = as_ada.get("/certifications").get_data(as_text=True)
    certs.publish_certification_agreement("cisco", "Cisco Certification and Logo Agreement", "New terms.", "sam")

    response = as_ada.post("/certifications/agreement", data={"version": "1", "csrf_token": csrf_token(page)},
                           follow_redirects=True)

    assert "A newer version of the certification agreement was published" in _text(response)
    assert certs.acceptances == {}


def test_accepting_needs_the_forms_csrf_token(as_ada, ada_ccna, certs):
    response = as_ada.post("/certifications/agreement", data={"version": "1"})

    assert response.status_code == 400
    assert certs.called("accept_certification_agreement") == []


# -- a second candidate -------------------------------------------------------------------------
def test_another_candidate_can_neither_see_nor_download_the_first_ones_certification(
        client, ada_ccna, grace, certs):
    log_in(client, grace, OTHER_PASSWORD)
    _accept(client)

    overview = _text(client.get("/certifications"))
    detail = _text(client.get("/certifications/ccna"))
    download = client.get("/certifications/ccna/certificate.pdf")

    assert "You have no certifications yet." in overview
    assert "Not achieved yet." in detail and "10 Feb 2026" not in detail
    assert download.status_code == 409 and download.mimetype == "text/html"
    assert {call["candidate_id"] for _, call in certs.calls if "candidate_id" in call} == {grace}


def test_a_certification_id_that_is_not_a_catalog_id_is_not_sent_to_certs(as_ada, ada, certs):
    for path in ("/certifications/CSCO10000002", "/certifications/..%2Fccna/logo.svg"):
        assert as_ada.get(path).status_code == 404, path
    assert certs.called("certification") == [] and certs.called("logo") == []


# -- the detail page ----------------------------------------------------------------------------
def test_the_detail_page_shows_status_dates_recertification_credits_and_history(as_ada, ada_ccna, certs):
    certs.add_activity(ada_ccna, completed_on="2026-09-01", status="approved", credits=12)

    page = _text(as_ada.get("/certifications/ccna"))

    facts = _plain(page.split('<dl class="facts card">', 1)[1].split("</dl>", 1)[0])
    assert facts.startswith("Status Active Level Associate · Enterprise track Started 10 Feb 2026 "
                            "Active since 10 Feb 2026 Expires on 10 Feb 2029 Certificate code")
    assert "public verification page" in facts
    text = _plain(page)
    assert ("To renew before 10 Feb 2029, you still need one associate exam, or one professional concentration "
            "exam, or one core exam, or one expert written or lab exam, or 18 more CE credits .") in text
    assert "CE credits available toward its renewal: 12" in text
    assert "30 CE credits Earn 30 CE credits 12 CE credits counted 18 more CE credits" in text
    assert "Achieved on 10 Feb 2026, valid until 10 Feb 2029" in text


def test_an_unknown_certification_is_a_404_page(as_ada, ada):
    response = as_ada.get("/certifications/jncia_junos")  # Juniper's, not Ada's program

    assert response.status_code == 404
    assert "Certification not found" in _text(response)


# -- Continuing Education ----------------------------------------------------------------------
def test_continuing_education_shows_balances_and_activities_with_reasons(as_ada, ada_ccna, certs):
    certs.add_activity(ada_ccna, title="Cisco Live 2026", completed_on="2026-06-10", status="approved", credits=8)
    certs.add_activity(ada_ccna, title="Vendor webinar", provider="Acme", completed_on="2026-07-01",
                       status="rejected", reason="Not a Cisco-approved provider.")
    certs.add_activity(ada_ccna, title="SD-WAN workshop", completed_on="2026-11-01")

    page = _text(as_ada.get("/continuing-education"))

    balances = sorted(_rows(_section(page, "What renews your certifications")))
    assert balances == [
        "CCNA 10 Feb 2026 10 Feb 2029 8 Any associate exam : one associate exam "
        "Any professional concentration exam : one professional concentration exam A core exam : one core exam "
        "An expert written or lab exam : one expert written or lab exam 30 CE credits : 22 more CE credits",
        "Cisco Certified Specialist - Enterprise Advanced Infrastructure Implementation 5 Jan 2026 5 Jan 2029 8 "
        "40 CE credits : 32 more CE credits Pass 300-410 again : exam 300-410",
    ]
    activities = _rows(_section(page, "Your activities"))
    assert len(activities) == 3
    assert "Cisco Live 2026 Cisco Live 10 Jun 2026 8 Approved" in activities
    assert "Vendor webinar Acme 1 Jul 2026 — Rejected Not a Cisco-approved provider." in activities
    assert "SD-WAN workshop Cisco Live 1 Nov 2026 — Waiting for review" in activities


def test_a_juniper_holder_sees_how_each_certification_renews_without_ce(client, fake_identity, certs):
    radia = fake_identity.add_candidate("Radia", "Perlman", "radia@example.com", password=PASSWORD,
                                        program="juniper")
    certs.pass_exam(radia, "JN0-105", "2026-02-01")
    log_in(client, radia, PASSWORD)

    page = _text(client.get("/continuing-education"))

    assert "You hold no active certification" not in page
    assert _rows(_section(page, "What renews your certifications")) == [
        "JNCIA-Junos 1 Feb 2026 1 Feb 2029 — Does not renew with CE credits "
        "An associate or higher exam : one associate, specialist, professional or expert exam "
        "An approved course : an approved course completion for JNCIA-Junos"]


def test_lower_certifications_say_their_credits_go_to_the_higher_one(as_ada, ada, certs):
    certs.pass_exam(ada, "100-150", "2025-05-05")  # CCST: never expires
    certs.pass_exam(ada, "350-401", "2026-01-05")
    certs.pass_exam(ada, "300-415", "2026-02-10")  # CCNP Enterprise, which renews both Specialists

    rows = _rows(_section(_text(as_ada.get("/continuing-education")), "What renews your certifications"))

    [core] = [r for r in rows if r.startswith("Cisco Certified Specialist - Enterprise Core ")]
    assert core.endswith("0 40 CE credits : credits go to your CCNP Enterprise, whose renewal renews this one "
                         "Pass 350-401 again : exam 350-401 Or recertify your CCNP Enterprise: it renews this one too")
    [ccnp] = [r for r in rows if r.startswith("CCNP Enterprise ")]
    assert "80 CE credits : 80 CE credits" in ccnp and "A CCIE lab exam : " in ccnp
    assert "Cisco Certified Support Technician Networking 5 May 2025 Never — Does not renew with CE credits " \
           "Nothing: it never expires." in rows


def _upload(client, fields: dict, content: bytes = PDF, filename="certificate.pdf"):
    page = client.get("/continuing-education").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "title": "Cisco Live 2026", "provider": "Cisco Live",
            "completed_on": "2026-11-01", "kind": "ce", **fields,
            "document": (io.BytesIO(content), filename)}
    return client.post("/continuing-education", data=data, content_type="multipart/form-data")


def test_submitting_an_activity_sends_it_for_review_for_this_candidate(as_ada, ada_ccna, certs):
    response = _upload(as_ada, {})

    assert response.status_code == 303
    [call] = certs.called("submit_ce_activity")
    assert {k: v for k, v in call.items() if k != "document"} == {
        "candidate_id": ada_ccna, "title": "Cisco Live 2026", "provider": "Cisco Live",
        "completed_on": "2026-11-01", "kind": "ce", "certification_id": None}
    assert call["document"]["filename"] == "certificate.pdf"
    page = _text(as_ada.get("/continuing-education"))
    assert "“Cisco Live 2026” is submitted." in page
    assert "Cisco Live 2026 Cisco Live 1 Nov 2026 — Waiting for review" in _rows(_section(page, "Your activities"))


def test_the_services_refusals_are_shown_beside_their_fields(as_ada, ada_ccna, certs):
    response = _upload(as_ada, {"completed_on": "2026-01-02"}, content=b"GIF89a not a pdf")

    assert response.status_code == 422
    page = _text(response)
    assert re.search(r'id="completed_on-error"><span class="visually-hidden">Error: </span>'
                     r'Submit an activity within 90 days of its completion\.', page)
    assert re.search(r'id="document-error"><span class="visually-hidden">Error: </span>'
                     r'The document must be a PDF, JPEG or PNG file\.', page)
    assert "Invalid" not in _plain(page.split("There is a problem", 1)[1].split("</div>", 1)[0])
    assert certs.activities == []


def test_a_form_missing_fields_is_answered_without_asking_certs(as_ada, ada_ccna, certs):
    page = as_ada.get("/continuing-education").get_data(as_text=True)

    response = as_ada.post("/continuing-education", data={"csrf_token": csrf_token(page), "kind": "ce"},
                           content_type="multipart/form-data")

    assert response.status_code == 422
    assert "Enter the title of the activity." in _text(response)
    assert "Choose the file with the certificate of completion." in _text(response)
    assert certs.called("submit_ce_activity") == []


def test_a_cisco_candidate_is_not_offered_a_course_completion(as_ada, ada_ccna, certs):
    page = _text(as_ada.get("/continuing-education"))

    assert "Course completion certificate" not in page
    assert 'name="certification_id"' not in page
    # A crafted course submission is taken as what the page offers: continuing education.
    assert _upload(as_ada, {"kind": "course", "certification_id": "ccna"}).status_code == 303
    assert certs.called("submit_ce_activity")[0]["kind"] == "ce"


def test_a_course_completion_names_its_certification(client, fake_identity, certs):
    radia = fake_identity.add_candidate("Radia", "Perlman", "radia@example.com", password=PASSWORD,
                                        program="juniper")
    certs.pass_exam(radia, "JN0-105", "2026-02-01")
    log_in(client, radia, PASSWORD)

    page = _text(client.get("/continuing-education"))
    assert "Course completion certificate" in page
    assert re.search(r'<option value="jncia_junos">JNCIA-Junos</option>', page)
    response = _upload(client, {"kind": "course", "certification_id": "jncia_junos"})

    assert response.status_code == 303
    assert certs.called("submit_ce_activity")[0]["certification_id"] == "jncia_junos"
    assert certs.activities[0]["kind"] == "course"


# -- public verification ------------------------------------------------------------------------
def test_the_verification_page_shows_the_live_status_without_a_login(client, ada_ccna, certs):
    code = certs.certification(ada_ccna, "ccna")["certificate_code"]

    page = _text(client.get(f"/verify/certificate/{code}"))

    facts = _plain(page.split('<dl class="facts card">', 1)[1].split("</dl>", 1)[0])
    assert facts == ("Candidate Ada Lovelace Certification CCNA Status Active First awarded 10 Feb 2026 "
                     "Active since 10 Feb 2026 Expires on 10 Feb 2029 Validity periods 10 Feb 2026 – 10 Feb 2029 "
                     "Digital badge Signature verified Checked 25 Nov 2026, 10:00 UTC")


def test_a_lapsed_certificate_says_it_is_no_longer_valid(client, ada, certs):
    certs.pass_exam(ada, "200-201", "2022-06-01")
    code = certs.certification(ada, "cyberops_associate")["certificate_code"]

    page = _text(client.get(f"/verify/certificate/{code}"))

    assert "This certificate is no longer valid: Cisco Certified CyberOps Associate is expired." in page


def test_after_a_renewal_the_page_keeps_the_original_award_and_both_periods(client, ada, certs):
    certs.pass_exam(ada, "200-301", "2026-02-10")
    certs.add_activity(ada, completed_on="2026-10-01", status="approved", credits=30)
    code = certs.certification(ada, "ccna")["certificate_code"]

    facts = _plain(_text(client.get(f"/verify/certificate/{code}")).split('<dl class="facts card">', 1)[1])

    assert "First awarded 10 Feb 2026 Active since 1 Oct 2026 Expires on 1 Oct 2029" in facts
    assert "Validity periods 10 Feb 2026 – 10 Feb 2029 1 Oct 2026 – 1 Oct 2029" in facts
    assert "Digital badge Signature verified" in facts


def test_revoked_periods_are_marked_and_a_failing_badge_says_why(client, ada_ccna, certs, monkeypatch):
    code = certs.certification(ada_ccna, "ccna")["certificate_code"]
    real = certs.verify_certificate
    monkeypatch.setattr(certs, "verify_certificate", lambda code: {
        **real(code), "status": "revoked",
        "periods": [{"active_on": "2026-02-10", "expires_on": "2029-02-10", "revoked": True}],
        "badge": {"verified": False, "status": None, "errors": ["the signature does not verify",
                                                                "<b>the issuer is unknown</b>"]}})

    page = _text(client.get(f"/verify/certificate/{code}"))

    facts = _plain(page.split('<dl class="facts card">', 1)[1].split("</dl>", 1)[0])
    assert "Validity periods 10 Feb 2026 – 10 Feb 2029 Revoked" in facts
    assert "Digital badge Not verified: the signature does not verify; &lt;b&gt;the issuer is unknown&lt;/b&gt;" in facts


def test_an_unknown_certificate_code_is_a_404_page(client, certs):
    response = client.get("/verify/certificate/DEAD-BEEF-0000")

    assert response.status_code == 404
    assert "Certificate not found" in _text(response)


def test_the_verification_json_has_the_same_facts(client, ada_ccna, certs):
    code = certs.certification(ada_ccna, "ccna")["certificate_code"]

    response = client.get(f"/api/v1/verify/certificate/{code}")

    assert response.status_code == 200
    assert response.json == {
        "certificate_code": code, "candidate_name": "Ada Lovelace", "certification_id": "ccna",
        "certification_name": "CCNA", "status": "active", "active_on": "2026-02-10",
        "expires_on": "2029-02-10", "generated_at": "2026-11-25T10:00:00Z", "first_awarded_on": "2026-02-10",
        "periods": [{"active_on": "2026-02-10", "expires_on": "2029-02-10", "revoked": False}],
        "badge": {"verified": True, "status": "active", "errors": []}}
    missing = client.get("/api/v1/verify/certificate/NOPE-NOPE")
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "certificate_not_found"


def test_a_program_without_an_agreement_downloads_without_asking(client, fake_identity, certs):
    certs.agreements["juniper"] = []
    radia = fake_identity.add_candidate("Radia", "Perlman", "radia@example.com", password=PASSWORD,
                                        program="juniper")
    certs.pass_exam(radia, "JN0-105", "2026-02-01")
    log_in(client, radia, PASSWORD)

    page = _text(client.get("/certifications"))

    assert "Your program has no certification agreement to accept." in page
    assert '<a href="/certifications/jncia_junos/certificate.pdf" download>PDF Certificate</a>' in page
    assert client.get("/certifications/jncia_junos/certificate.pdf").status_code == 200


def test_the_detail_page_names_the_higher_certification_that_renews_this_one(as_ada, ada, certs):
    certs.pass_exam(ada, "200-301", "2026-01-05")
    certs.pass_exam(ada, "350-401", "2026-02-01")
    certs.pass_exam(ada, "300-410", "2026-03-01")  # CCNP Enterprise, which renews CCNA

    text = _plain(as_ada.get("/certifications/ccna").get_data(as_text=True))

    assert "Renewing your CCNP Enterprise also renews CCNA." in text
    assert "Recertified on 1 Mar 2026 by renewing CCNP Enterprise, valid until 1 Mar 2029" in text
    assert "Credits go to your CCNP Enterprise, whose renewal renews this one" in text
