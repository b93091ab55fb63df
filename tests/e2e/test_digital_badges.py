"""Digital badges end to end (issue 16): a testing vendor reports CCNA, certs
issues its Open Badges credential from its own event; the candidate (headless
Chromium) opens Digital Badges from the menu and downloads the badge as JSON,
JWT, PNG and SVG, and each verifies through `POST /api/v1/credentials/verify`
(the images also by the credential baked into them); the key, issuer and status
list the credential names answer at their URLs. The certification's public
page shows the badge check; after the core exam renews CCNA, it shows the
original award and both validity periods."""
from __future__ import annotations

import base64
import json
import re
import uuid
import zlib
from pathlib import Path

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from playwright.sync_api import expect

from tests.e2e.test_certifications import log_in
from tests.e2e.test_testing_history import CCNA, ENCOR, candidate_with_exams, vendor_sends
from tests.harness.messages import wait_for
from tests.harness.vendor import registration, result

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def credentials(amqp_uri, candidate_id) -> dict:
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
        return {item["certification_id"]: item for item in rpc.certs.candidate_credentials(candidate_id=candidate_id)}


def baked_in_png(image: bytes) -> str:
    """The credential of the `iTXt` chunk `openbadgecredential` (Open Badges 3.0 baking)."""
    assert image.startswith(PNG_SIGNATURE)
    position = len(PNG_SIGNATURE)
    while position < len(image):
        length = int.from_bytes(image[position:position + 4], "big")
        kind, data = image[position + 4:position + 8], image[position + 8:position + 8 + length]
        if kind == b"iTXt" and data.startswith(b"openbadgecredential\x00"):
            compressed, rest = data[20], data[22:]
            text = rest.split(b"\x00", 2)[2]  # after the language tag and the translated keyword
            return (zlib.decompress(text) if compressed else text).decode()
        position += 12 + length
    raise AssertionError("no openbadgecredential chunk in the PNG")


def baked_in_svg(image: bytes) -> str:
    found = re.search(rb'<openbadges:credential[^>]*\bverify="([^"]+)"', image)
    assert found, image[:400]
    return found.group(1).decode()


def jws_part(token: str, index: int) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[index] + "=="))


def verified(stack, credential: str) -> dict:
    answer = requests.post(f"{stack.url}/api/v1/credentials/verify", json={"credential": credential}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.browser
@pytest.mark.slow
def test_a_candidate_downloads_every_badge_format_and_the_public_page_survives_a_renewal(
        stack, amqp_uri, browser, page):
    email = f"katherine.{uuid.uuid4().hex[:10]}@example.com"
    candidate_id = candidate_with_exams(stack, amqp_uri, email, [
        (str(uuid.uuid4().int)[:9], CCNA, "2026-01-05T10:00:00Z", 870)])
    issued = wait_for(lambda: credentials(amqp_uri, candidate_id).get("ccna"), timeout=60,
                      message="certs to issue the CCNA badge")

    # Digital Badges, from the main navigation.
    log_in(page, stack, candidate_id)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Digital Badges").click()
    page.wait_for_url(f"{stack.url}/digital-badges")
    card = page.locator("#badge-ccna")
    expect(card.get_by_role("heading", name="CCNA")).to_be_visible()
    assert "Valid from 5 Jan 2026 · expires on 5 Jan 2029" in card.inner_text()
    # The badge image is the achievement's public image, and it loads.
    assert card.locator("img").evaluate("image => image.complete && image.naturalWidth > 0")
    linkedin = card.get_by_role("link", name=re.compile("Add to LinkedIn profile"))
    assert linkedin.get_attribute("target") == "_blank" and "noopener" in linkedin.get_attribute("rel")
    assert card.locator("input[readonly]").input_value() == issued["verification_url"]

    files = {}
    for format in ("JSON", "JWT", "PNG", "SVG"):
        with page.expect_download() as info:
            card.get_by_role("link", name=format, exact=True).click()
        assert info.value.suggested_filename == f"ccna-badge.{format.lower()}"
        files[format] = Path(info.value.path()).read_bytes()
    token = files["JWT"].decode()
    assert token == issued["credential"]
    assert baked_in_png(files["PNG"]) == token and baked_in_svg(files["SVG"]) == token
    active = {"verified": True, "status": "active", "errors": []}
    assert verified(stack, token) == active
    assert verified(stack, files["JSON"].decode()) == active
    assert verified(stack, baked_in_png(files["PNG"])) == active

    # What the credential names answers at those URLs, through the gateway: the key, the issuer
    # (which lists it) and the status list, cached briefly with an ETag.
    key = requests.get(jws_part(token, 0)["kid"], timeout=30)
    assert key.status_code == 200 and key.headers["Content-Type"].startswith("application/jwk+json")
    issuer = requests.get(jws_part(token, 1)["issuer"]["id"], timeout=30).json()
    assert key.json()["x"] in json.dumps(issuer)
    status_url = jws_part(token, 1)["credentialStatus"]["statusListCredential"]
    status = requests.get(status_url, timeout=30)
    assert status.status_code == 200 and status.headers["Content-Type"].startswith("application/vc+jwt")
    assert jws_part(status.text, 1)["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert requests.get(status_url, headers={"If-None-Match": status.headers["ETag"]}, timeout=30).status_code == 304

    # The certification's public page, without a login: the badge's signature holds.
    public = browser.new_context().new_page()
    public.goto(issued["verification_url"])
    facts = public.locator("dl.facts").inner_text()
    assert "Signature verified" in facts and "First awarded\n5 Jan 2026" in facts

    # The core exam renews CCNA: a new period, a new badge, the same public page.
    number = str(uuid.uuid4().int)[:9]
    vendor_sends(amqp_uri, "exam_registration", registration(number, email=email, last_name="Liskov", exam=ENCOR))
    vendor_sends(amqp_uri, "exam_result", result(number, score=901, email=email, exam=ENCOR,
                                                 taken_at="2026-03-05T14:30:00Z", last_name="Liskov"))
    renewed = wait_for(lambda: (item := credentials(amqp_uri, candidate_id).get("ccna")) and
                       item["valid_from"] == "2026-03-05" and item, timeout=60, message="certs to renew the badge")
    assert renewed["verification_url"] == issued["verification_url"]
    public.reload()
    facts = public.locator("dl.facts").inner_text()
    assert "First awarded\n5 Jan 2026" in facts and "Active since\n5 Mar 2026" in facts
    periods = public.locator("ol.periods li").all_inner_texts()
    assert periods == ["5 Jan 2026 – 5 Jan 2029", "5 Mar 2026 – 5 Mar 2029"]
    assert "Signature verified" in facts
    public.context.close()
