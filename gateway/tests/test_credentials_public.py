"""The digital badges' public side (issue 16, docs/decisions/0024): the documents
at the URLs the credentials name, `POST /api/v1/credentials/verify` and the
"Verify a credential" page, with certs replaced by its fake (gateway/tests/fakes/certs.py)."""
from __future__ import annotations

import base64
import io
import re

import pytest

from .accounts import api_error
from .fakes.certs import KEY_ID
from .fakes.identity import csrf_token

JSON = {"Accept": "application/json"}


@pytest.fixture
def ada_ccna(ada, certs):
    """CCNA active since 10 Feb 2026 (and the 300-410 Specialist): two badges."""
    certs.pass_exam(ada, "300-410", "2026-01-05")
    certs.pass_exam(ada, "200-301", "2026-02-10")
    return ada


@pytest.fixture
def token(ada_ccna, certs):
    return next(item["credential"] for item in certs.candidate_credentials(ada_ccna)
                if item["certification_id"] == "ccna")


def _plain(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).strip()


# -- the public documents -----------------------------------------------------------------------
def test_the_issuer_profile_is_public_json_that_caches_for_a_while(client, certs):
    response = client.get("/credentials/issuers/cisco")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json["type"] == ["Profile"] and response.json["name"] == "Cisco"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["ETag"]
    assert certs.called("credential_issuer") == [{"program": "cisco"}]


def test_a_linked_data_client_gets_the_same_document_as_ld_json(client, certs):
    plain = client.get("/credentials/issuers/cisco")
    linked = client.get("/credentials/issuers/cisco", headers={"Accept": "application/ld+json"})

    assert linked.mimetype == "application/ld+json"
    assert linked.get_data() == plain.get_data()


def test_the_key_the_credentials_name_answers_as_a_jwk(client, certs):
    response = client.get(f"/credentials/issuers/cisco/keys/{KEY_ID}")

    assert response.status_code == 200
    assert response.mimetype == "application/jwk+json"
    assert response.json["kty"] == "EC" and response.json["crv"] == "P-256"


def test_an_achievement_and_its_image(client, certs):
    achievement = client.get("/credentials/issuers/cisco/achievements/ccna")
    image = client.get("/credentials/issuers/cisco/achievements/ccna/image.png")

    assert achievement.status_code == 200 and achievement.json["name"] == "CCNA"
    assert achievement.json["achievementType"] == "Certification"
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.get_data().startswith(b"\x89PNG\r\n\x1a\n")
    assert image.headers["Cache-Control"] == "public, max-age=300"


@pytest.mark.parametrize("path", [
    "/credentials/issuers/acme",
    "/credentials/issuers/cisco/keys/not-a-key-of-cisco",
    "/credentials/issuers/cisco/achievements/jncia_junos",  # Juniper's, not Cisco's
    "/credentials/issuers/cisco/achievements/nothing/image.png",
    "/credentials/issuers/cisco/status/revocation/2",
])
def test_what_certs_does_not_know_is_a_404_in_json_or_in_words(client, certs, path):
    api_error(client.get(path, headers=JSON), 404, "credential_not_found")
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 404 and "Credential not found" in _plain(page)


@pytest.mark.parametrize("path", [
    "/credentials/issuers/Cisco",
    "/credentials/issuers/ci%20sco",
    "/credentials/issuers/cisco/keys/a.b",
    "/credentials/issuers/cisco/keys/" + "k" * 129,
    "/credentials/issuers/cisco/achievements/CCNA",
    "/credentials/issuers/cisco/status/revocation/0",
    "/credentials/issuers/cisco/status/revocation/01",
    "/credentials/issuers/cisco/status/revocation/-1",
    "/credentials/issuers/cisco/status/revocation/1234567890",
    "/credentials/issuers/cisco/status/revocation/one",
    "/credentials/issuers/cisco/status/suspension/1",
])
def test_malformed_path_parameters_are_404_without_asking_certs(client, certs, path):
    assert client.get(path, headers=JSON).status_code == 404
    assert certs.calls == []


def test_a_nul_in_the_path_is_refused_before_certs(client, certs):
    assert client.get("/credentials/issuers/cisco/keys/a%00b").status_code in (400, 404)
    assert certs.calls == []


def test_the_status_list_is_a_vc_jwt_cached_seconds_with_an_etag(client, certs):
    response = client.get("/credentials/issuers/cisco/status/revocation/1")

    assert response.status_code == 200
    assert response.mimetype == "application/vc+jwt"
    assert response.get_data(as_text=True).count(".") == 2
    # A revocation must show within 10 seconds (CONTRACTS §8): no cache keeps it longer.
    max_age = int(re.fullmatch(r"public, max-age=(\d+)", response.headers["Cache-Control"])[1])
    assert 0 < max_age < 10
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["ETag"]
    assert certs.called("credential_status_list") == [{"program": "cisco", "number": 1}]


def test_an_unchanged_status_list_answers_304_and_a_revocation_changes_it(client, certs, ada_ccna):
    certs.candidate_credentials(ada_ccna)
    etag = client.get("/credentials/issuers/cisco/status/revocation/1").headers["ETag"]

    unchanged = client.get("/credentials/issuers/cisco/status/revocation/1", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert unchanged.headers["Cache-Control"].startswith("public, max-age=")

    certs.revoke_credential(ada_ccna, "ccna")
    changed = client.get("/credentials/issuers/cisco/status/revocation/1", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_head_answers_the_headers_only(client, certs):
    response = client.head("/credentials/issuers/cisco/status/revocation/1")

    assert response.status_code == 200 and response.get_data() == b""
    assert response.mimetype == "application/vc+jwt"


# -- POST /api/v1/credentials/verify --------------------------------------------------------------
def test_a_genuine_credential_verifies_without_a_login_or_csrf_token(client, token):
    response = client.post("/api/v1/credentials/verify", json={"credential": token})

    assert response.status_code == 200
    assert response.json == {"verified": True, "status": "active", "errors": []}
    assert response.headers["Cache-Control"] == "no-store"


def test_a_revoked_credential_is_genuine_and_says_revoked(client, certs, ada_ccna, token):
    certs.revoke_credential(ada_ccna, "ccna")

    assert client.post("/api/v1/credentials/verify", json={"credential": token}).json == {
        "verified": True, "status": "revoked", "errors": []}


def test_a_tampered_or_foreign_credential_is_not_verified_with_the_reason(client, certs, token):
    head, payload, signature = token.split(".")
    response = client.post("/api/v1/credentials/verify", json={"credential": f"{head}.{payload}x.{signature}"})

    assert response.status_code == 200
    assert response.json["verified"] is False and response.json["status"] is None
    assert response.json["errors"]
    assert certs.called("verify_credential")[-1] == {"credential": f"{head}.{payload}x.{signature}",
                                                      "image_base64": None}


@pytest.mark.parametrize("body", [{}, {"credential": ""}, {"credential": 42}, {"credential": ["a"]},
                                  {"credential": "a", "image_base64": "AAAA"}])
def test_a_body_without_a_credential_string_is_a_422(client, certs, body):
    error = api_error(client.post("/api/v1/credentials/verify", json=body), 422, "validation_failed")

    assert error["fields"]
    assert certs.called("verify_credential") == []


def test_a_nul_in_the_credential_is_refused(client, certs):
    error = api_error(client.post("/api/v1/credentials/verify", json={"credential": "eyJ\x00"}), 422,
                      "validation_failed")
    assert "credential" in error["fields"]
    assert certs.called("verify_credential") == []


def test_a_body_that_is_not_json_is_refused(client, certs):
    api_error(client.post("/api/v1/credentials/verify", data="{credential", content_type="application/json"),
              400, "malformed_json")
    api_error(client.post("/api/v1/credentials/verify", data="credential=x", content_type="text/plain"),
              415, "unsupported_media_type")
    assert certs.called("verify_credential") == []


def test_over_64_kib_is_refused(client, certs):
    api_error(client.post("/api/v1/credentials/verify", json={"credential": "e" * (64 * 1024 + 1)}),
              422, "validation_failed")
    api_error(client.post("/api/v1/credentials/verify", json={"credential": "e" * (200 * 1024)}),
              413, "payload_too_large")
    assert certs.called("verify_credential") == []


def test_the_openapi_document_describes_both_credential_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]

    verify = paths["/api/v1/credentials/verify"]["post"]
    assert "security" not in verify
    assert verify["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CredentialToVerify"}
    assert verify["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CredentialCheck"}
    mine = paths["/api/v1/me/credentials"]["get"]
    assert mine["security"] == [{"bearerAuth": []}]


# -- the "Verify a credential" page ----------------------------------------------------------------
def _verify_page(client, data: dict, **kwargs):
    token = csrf_token(client.get("/verify/credential").get_data(as_text=True))
    return client.post("/verify/credential", data={**data, "csrf_token": token},
                       content_type="multipart/form-data", **kwargs)


def test_the_page_is_public_and_linked_from_every_footer_and_the_certificate_page(client, ada_ccna, certs):
    page = client.get("/verify/credential")
    assert page.status_code == 200
    assert "<h1>Verify a credential</h1>" in page.get_data(as_text=True)
    assert 'href="/verify/credential">Verify a credential</a>' in client.get("/").get_data(as_text=True)
    code = certs.certification(ada_ccna, "ccna")["certificate_code"]
    assert 'href="/verify/credential"' in client.get(f"/verify/certificate/{code}").get_data(as_text=True)


def test_a_pasted_credential_is_verified_in_plain_words(client, token, certs):
    response = _verify_page(client, {"credential": f"  {token}\n"})

    assert response.status_code == 200
    text = _plain(response)
    assert "Verified The signature, the issuer and the structure hold, and the credential is active." in text
    assert certs.called("verify_credential")[-1] == {"credential": token, "image_base64": None}


def test_a_revoked_credential_says_so(client, certs, ada_ccna, token):
    certs.revoke_credential(ada_ccna, "ccna")

    text = _plain(_verify_page(client, {"credential": token}))

    assert "Genuine, but revoked" in text and "the issuer revoked it." in text


def test_garbage_is_not_verified_with_the_reasons(client, certs):
    text = _plain(_verify_page(client, {"credential": "<script>alert(1)</script>"}))

    assert "Not verified This is not a valid credential issued by CertTrack." in text
    assert "Reasons: Not a credential: expected a JWT, JSON or a PNG or SVG badge." in text


@pytest.mark.parametrize("format, name", [("png", "badge.png"), ("svg", "badge.svg")])
def test_an_uploaded_baked_badge_is_verified(client, certs, ada_ccna, format, name):
    image = base64.b64decode(certs.credential_download(ada_ccna, "ccna", format)["data_b64"])

    response = _verify_page(client, {"badge": (io.BytesIO(image), name)})

    assert "Verified" in _plain(response)
    sent = certs.called("verify_credential")[-1]
    assert sent["credential"] is None and base64.b64decode(sent["image_base64"]) == image


def test_an_image_without_a_credential_is_not_verified(client, certs):
    response = _verify_page(client, {"badge": (io.BytesIO(b"\x89PNG\r\n\x1a\nnothing"), "cat.png")})

    assert "Not verified" in _plain(response)


def test_nothing_to_check_is_asked_for_again(client, certs):
    response = _verify_page(client, {"credential": "   "})

    assert response.status_code == 422
    assert "Paste a credential or choose a badge image to check." in _plain(response)
    assert certs.called("verify_credential") == []


def test_another_kind_of_file_or_too_much_text_is_refused_beside_its_field(client, certs):
    wrong = _verify_page(client, {"badge": (io.BytesIO(b"%PDF-1.4"), "badge.pdf")})
    assert wrong.status_code == 422 and "The badge must be a PNG or SVG image." in _plain(wrong)
    long = _verify_page(client, {"credential": "e" * (64 * 1024 + 1)})
    assert long.status_code == 422 and "A credential is at most 64 KB of text." in _plain(long)
    assert certs.called("verify_credential") == []


def test_an_image_over_5_mib_is_refused(client, certs):
    just_over = _verify_page(client, {"badge": (io.BytesIO(b"\x89PNG" + b"0" * (5 * 1024 * 1024)), "big.png")})
    assert just_over.status_code == 422 and "The badge image must be at most 5 MB." in _plain(just_over)

    huge = _verify_page(client, {"badge": (io.BytesIO(b"0" * (7 * 1024 * 1024)), "huge.png")},
                        follow_redirects=True)
    assert "That file is too large: a badge image is at most 5 MB." in _plain(huge)
    assert certs.called("verify_credential") == []


def test_the_page_needs_its_csrf_token_and_refuses_a_nul(client, certs):
    assert client.post("/verify/credential", data={"credential": "x"}).status_code == 400
    assert _verify_page(client, {"credential": "eyJ\x00"}).status_code == 400
    assert certs.called("verify_credential") == []
