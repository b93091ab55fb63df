"""The Transcripts tab, with identity and transcripts replaced by honest fakes.
The public `/verify/<code>` page is the transcripts web app's (services/transcripts,
test_public_web.py); the gateway forwards it (test_transcripts_forwarding.py)."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from .fakes.identity import csrf_token, log_in, submit

from .accounts import OTHER_PASSWORD


@pytest.fixture
def ada(ada, fake_transcripts):
    """Ada, as the transcripts projection knows her: two active certifications."""
    fake_transcripts.add_person(ada, "Ada Lovelace", "ada@example.com")
    fake_transcripts.hold(ada, "ccna", "CCNA")
    fake_transcripts.hold(ada, "devnet_associate", "DevNet Associate")
    return ada


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _create(client, **fields):
    data = {"description": "ACME job", "valid_through": "2027-03-01", "selection": "all_active",
            "remarks": "via recruiter", **fields}
    return submit(client, "/transcripts/new", data)


def _share_link(page: str) -> str:
    return re.search(r'id="share-link"[^>]*value="([^"]+)"', page).group(1)


def test_the_tab_is_in_the_nav_and_needs_a_login(client, as_ada):
    assert 'href="/transcripts"' in _text(as_ada.get("/"))
    anonymous = client.application.test_client().get("/transcripts")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_form_says_which_name_the_third_party_will_see(as_ada):
    assert 'class="shown-name">Ada Lovelace<' in _text(as_ada.get("/transcripts/new"))


def test_creating_shows_the_link_with_both_codes_once(as_ada, fake_transcripts):
    created = _create(as_ada, selection="chosen", certifications=["ccna"], show_email="y")
    assert created.status_code == 303
    share = as_ada.get(created.headers["Location"])

    page = _text(share)
    link = _share_link(page)
    code, record = next(iter(fake_transcripts.transcripts.items()))
    assert urlsplit(link).path == f"/verify/{code}"
    access_code = parse_qs(urlsplit(link).query)["access_code"][0]
    assert record["display"] == {"certifications": ["ccna"], "include_expired": False,
                                 "include_exams": False, "show_email": True}
    # Shown once: the next visit of the share page has neither the link nor the code.
    again = _text(as_ada.get(created.headers["Location"]))
    assert access_code not in again and "Generate a new access code" in again


def test_share_buttons_use_the_documented_endpoints_with_the_link_url_encoded(as_ada):
    page = _text(as_ada.get(_create(as_ada).headers["Location"]))
    link = _share_link(page)

    hrefs = re.findall(r'href="(https://[^"]+)"', page)
    linkedin = next(h for h in hrefs if h.startswith("https://www.linkedin.com/sharing/share-offsite/?"))
    facebook = next(h for h in hrefs if h.startswith("https://www.facebook.com/sharer/sharer.php?"))
    x = next(h for h in hrefs if h.startswith("https://twitter.com/intent/tweet?"))
    assert parse_qs(urlsplit(linkedin).query) == {"url": [link]}
    assert parse_qs(urlsplit(facebook).query) == {"u": [link]}
    assert parse_qs(urlsplit(x).query)["url"] == [link] and parse_qs(urlsplit(x).query)["text"]
    assert "%3Faccess_code%3D" in linkedin  # the link's own query is encoded, not merged


def test_preview_shows_the_mail_and_sends_nothing_then_send_sends_it(as_ada, fake_transcripts):
    share_url = _create(as_ada).headers["Location"]
    page = _text(as_ada.get(share_url))
    access_code = parse_qs(urlsplit(_share_link(page)).query)["access_code"][0]
    form = {"access_code": access_code, "to": "hr@example.com", "message": "As discussed",
            "csrf_token": csrf_token(page)}

    preview = as_ada.post(share_url, data={**form, "action": "preview"})
    assert preview.status_code == 200
    assert "Ada Lovelace shared a verified CertTrack transcript with you" in _text(preview)
    assert fake_transcripts.mails == []
    sent = as_ada.post(share_url, data={**form, "action": "send"})
    assert sent.status_code == 303
    assert [m["to"] for m in fake_transcripts.mails] == [["hr@example.com"]]
    assert "sent to hr@example.com" in _text(as_ada.get("/transcripts"))


def test_a_typed_wrong_access_code_is_refused_on_the_share_form(as_ada, fake_transcripts):
    share_url = _create(as_ada).headers["Location"]
    as_ada.get(share_url)  # the one time the code is shown
    page = _text(as_ada.get(share_url))

    refused = as_ada.post(share_url, data={"access_code": "wrong", "to": "hr@example.com",
                                           "action": "send", "csrf_token": csrf_token(page)})

    assert refused.status_code == 422
    assert "not the transcript's access code" in _text(refused)
    assert fake_transcripts.mails == []


def test_the_list_shows_description_expiry_options_views_and_remarks(as_ada, fake_transcripts):
    _create(as_ada, include_exams="y")
    code = next(iter(fake_transcripts.transcripts))
    fake_transcripts.transcripts[code]["views"] = 3
    fake_transcripts.transcripts[code]["last_viewed_at"] = "2026-11-24T09:30:00+00:00"

    page = _text(as_ada.get("/transcripts"))

    for shown in ("ACME job", "1 Mar 2027", "All active certifications", "With passed exams",
                  "via recruiter", "24 Nov 2026, 09:30 UTC", "Create New Transcript"):
        assert shown in page
    assert re.search(r'class="transcript-views">\s*3\s*<', page)


def test_editing_and_deactivating(as_ada, fake_transcripts):
    _create(as_ada)
    code = next(iter(fake_transcripts.transcripts))

    form = _text(as_ada.get(f"/transcripts/{code}/edit"))
    assert 'value="ACME job"' in form
    edited = submit(as_ada, f"/transcripts/{code}/edit",
                    {"description": "Globex", "valid_through": "2027-06-01", "selection": "chosen",
                     "certifications": ["devnet_associate"], "remarks": ""})
    assert edited.status_code == 303
    assert fake_transcripts.transcripts[code]["display"]["certifications"] == ["devnet_associate"]
    deactivated = submit(as_ada, f"/transcripts/{code}/deactivate", form_page="/transcripts")
    assert deactivated.status_code == 303
    assert fake_transcripts.transcripts[code]["deactivated_at"]
    assert "Deactivated" in _text(as_ada.get("/transcripts"))
    assert as_ada.get(f"/transcripts/{code}/share").headers["Location"].endswith("/transcripts")


def test_a_chosen_list_needs_a_choice_and_a_bad_form_is_422(as_ada, fake_transcripts):
    response = _create(as_ada, selection="chosen")

    assert response.status_code == 422
    assert "Choose at least one certification" in _text(response)
    assert fake_transcripts.transcripts == {}


def test_another_candidate_cannot_open_edit_or_deactivate_it(app, as_ada, grace, fake_transcripts):
    _create(as_ada)
    code = next(iter(fake_transcripts.transcripts))
    other = app.test_client()
    log_in(other, grace, OTHER_PASSWORD)

    assert code not in _text(other.get("/transcripts"))
    assert other.get(f"/transcripts/{code}/edit").status_code == 404
    assert other.get(f"/transcripts/{code}/share").status_code == 404
    token = csrf_token(_text(other.get("/transcripts/new")))
    assert other.post(f"/transcripts/{code}/deactivate", data={"csrf_token": token}).status_code == 404
    assert fake_transcripts.transcripts[code]["deactivated_at"] is None
