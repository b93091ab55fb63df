"""The Digital Badges page, its downloads and `GET /api/v1/me/credentials` (issue 16,
CONTRACTS §8), with identity and certs replaced by their fakes."""
from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from .accounts import OTHER_PASSWORD, api_error, bearer
from .fakes.identity import log_in

FORMATS = {"json": "application/json", "jwt": "application/vc+jwt", "png": "image/png", "svg": "image/svg+xml"}


@pytest.fixture
def ada_ccna(ada, certs):
    """CCNA active since 10 Feb 2026 and the 300-410 Specialist: two badges."""
    certs.pass_exam(ada, "300-410", "2026-01-05")
    certs.pass_exam(ada, "200-301", "2026-02-10")
    return ada


class _Elements(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self, page: str):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def all(self, tag: str, **wanted) -> list[dict]:
        return [attrs for name, attrs in self.found if name == tag
                and all(attrs.get(key) == value for key, value in wanted.items())]


def _card(page: str, certification_id: str) -> str:
    start = page.index(f'id="badge-{certification_id}"')
    return page[start:page.index("</li>\n", page.index('class="badge-card__link"', start))]


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# -- who may see it ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/digital-badges", "/certifications/ccna/badge.png",
                                  "/certifications/ccna/badge.json"])
def test_the_page_and_downloads_need_a_login(client, certs, path):
    response = client.get(path)

    assert response.status_code == 302 and response.headers["Location"] == f"/login?next={path}"
    assert certs.calls == []


def test_the_menu_leads_to_digital_badges_next_to_certifications(as_ada):
    page = as_ada.get("/digital-badges").get_data(as_text=True)

    nav = page.split('<nav aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    links = [(link["href"], link.get("aria-current")) for link in _Elements(nav).all("a")]
    at = links.index(("/certifications", None))
    assert links[at + 1] == ("/digital-badges", "page")
    assert "<h1>Digital Badges</h1>" in page


def test_a_candidate_without_active_certifications_is_told_plainly(as_ada):
    page = _plain(as_ada.get("/digital-badges").get_data(as_text=True))

    assert "You have no digital badges yet." in page
    assert "Copy link" not in page


# -- the page -------------------------------------------------------------------------------------
def test_each_active_certification_is_a_card_with_image_dates_and_downloads(as_ada, ada_ccna):
    page = as_ada.get("/digital-badges").get_data(as_text=True)

    card = _card(page, "ccna")
    assert "Issued by Cisco · Valid from 10 Feb 2026 · expires on 10 Feb 2029" in _plain(card)
    elements = _Elements(card)
    assert elements.all("img")[0]["src"] == "/credentials/issuers/cisco/achievements/ccna/image.png"
    assert elements.all("img")[0]["alt"] == "CCNA badge"
    assert [link["href"] for link in elements.all("a") if "download" in link] == [
        f"/certifications/ccna/badge.{format}" for format in FORMATS]
    assert page.count('class="card badge-card"') == 2


def test_the_linkedin_link_carries_the_certification_and_opens_safely(as_ada, ada_ccna, certs):
    card = _card(as_ada.get("/digital-badges").get_data(as_text=True), "ccna")

    link = next(a for a in _Elements(card).all("a") if "linkedin.com" in a.get("href", ""))
    assert link["target"] == "_blank"
    assert "noopener" in link["rel"].split()
    url = urlsplit(link["href"])
    assert (url.scheme, url.netloc, url.path) == ("https", "www.linkedin.com", "/profile/add")
    fields = {key: values[0] for key, values in parse_qs(url.query).items()}
    ccna = next(item for item in certs.candidate_credentials(ada_ccna) if item["certification_id"] == "ccna")
    assert fields == {"startTask": "CERTIFICATION_NAME", "name": "CCNA", "organizationName": "Cisco",
                      "issueYear": "2026", "issueMonth": "2", "expirationYear": "2029", "expirationMonth": "2",
                      "certUrl": ccna["verification_url"], "certId": ccna["credential_id"]}


def test_a_link_that_is_not_linkedins_is_not_offered(as_ada, ada_ccna, certs, monkeypatch):
    real = certs.candidate_credentials
    monkeypatch.setattr(certs, "candidate_credentials", lambda candidate_id: [
        {**item, "linkedin_url": "javascript:alert(1)"} for item in real(candidate_id)])

    page = as_ada.get("/digital-badges").get_data(as_text=True)

    assert "javascript:" not in page and "Add to LinkedIn profile" not in page


def test_the_copy_button_works_under_the_content_security_policy(as_ada, ada_ccna, certs):
    response = as_ada.get("/digital-badges")
    page = response.get_data(as_text=True)

    elements = _Elements(_card(page, "ccna"))
    button = elements.all("button", type="button")[0]
    field = elements.all("input", id=button["data-copy"].lstrip("#"))[0]
    ccna = next(item for item in certs.candidate_credentials(ada_ccna) if item["certification_id"] == "ccna")
    assert field["value"] == ccna["verification_url"] and "readonly" in field
    # Scripts come from the site only, and the page has no inline one.
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    scripts = _Elements(page).all("script")
    assert scripts == [{"src": "/static/copy.js", "defer": None}]
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) and " onclick=" not in page
    script = as_ada.get("/static/copy.js")
    assert script.status_code == 200 and "data-copy" in script.get_data(as_text=True)


def test_a_candidate_certs_does_not_know_yet_has_no_badges(as_ada, certs, monkeypatch):
    def unknown(candidate_id):
        from .fakes.certs import CandidateNotFound
        raise CandidateNotFound({"message": "No such candidate."})

    monkeypatch.setattr(certs, "candidate_credentials", unknown)

    assert "You have no digital badges yet." in _plain(as_ada.get("/digital-badges").get_data(as_text=True))


# -- downloads -------------------------------------------------------------------------------------
@pytest.mark.parametrize("format", FORMATS)
def test_each_download_is_an_attachment_that_verifies(as_ada, ada_ccna, certs, format):
    response = as_ada.get(f"/certifications/ccna/badge.{format}")

    assert response.status_code == 200
    assert response.mimetype == FORMATS[format]
    assert response.headers["Content-Disposition"] == f'attachment; filename="ccna-badge.{format}"'
    assert response.headers["Cache-Control"] == "no-store"
    assert certs.called("credential_download") == [
        {"candidate_id": ada_ccna, "certification_id": "ccna", "format": format}]
    content = response.get_data()
    if format in ("png", "svg"):
        check = certs.verify_credential(image_base64=base64.b64encode(content).decode())
    else:
        check = as_ada.post("/api/v1/credentials/verify", json={"credential": content.decode()}).json
    assert check == {"verified": True, "status": "active", "errors": []}
    if format == "json":
        assert json.loads(content)["type"] == ["VerifiableCredential", "OpenBadgeCredential"]


def test_another_candidates_badge_cannot_be_downloaded(client, ada_ccna, grace, certs):
    log_in(client, grace, OTHER_PASSWORD)

    response = client.get("/certifications/ccna/badge.jwt", headers={"Accept": "text/html"})

    assert response.status_code == 404 and "Credential not found" in _plain(response.get_data(as_text=True))
    # The candidate is the session's: the URL cannot name another one.
    assert certs.called("credential_download") == [
        {"candidate_id": grace, "certification_id": "ccna", "format": "jwt"}]
    assert client.get(f"/certifications/ccna/badge.jwt?candidate_id={ada_ccna}").status_code == 404


def test_a_certification_without_a_badge_is_404(as_ada, ada_ccna, certs):
    assert as_ada.get("/certifications/ccnp_enterprise/badge.png").status_code == 404


@pytest.mark.parametrize("path", ["/certifications/ccna/badge.pdf", "/certifications/ccna/badge.PNG",
                                  "/certifications/CCNA/badge.png", "/certifications/ccna%00/badge.png"])
def test_unknown_formats_and_malformed_ids_are_not_sent_to_certs(as_ada, ada_ccna, certs, path):
    assert as_ada.get(path).status_code in (400, 404)
    assert certs.called("credential_download") == []


# -- GET /api/v1/me/credentials -------------------------------------------------------------------
def test_the_api_lists_the_candidates_credentials(client, ada_ccna, certs):
    response = client.get("/api/v1/me/credentials", headers=bearer(client, ada_ccna))

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    items = {item["certification_id"]: item for item in response.json["items"]}
    assert set(items) == {"ccna", "specialist_enterprise_advanced_infrastructure_implementation"}
    ccna = items["ccna"]
    assert ccna["format"] == "vc+jwt" and ccna["credential"].count(".") == 2
    assert ccna["verification_url"].endswith("/verify/certificate/" + certs.certification(
        ada_ccna, "ccna")["certificate_code"])
    assert (ccna["valid_from"], ccna["valid_until"]) == ("2026-02-10", "2029-02-10")


def test_the_api_needs_a_token_and_shows_only_the_tokens_candidate(client, ada_ccna, grace, certs):
    api_error(client.get("/api/v1/me/credentials"), 401, "not_authenticated")

    response = client.get("/api/v1/me/credentials", headers=bearer(client, grace, OTHER_PASSWORD))

    assert response.json == {"items": []}
    assert certs.called("candidate_credentials") == [{"candidate_id": grace}]
