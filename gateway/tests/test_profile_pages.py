"""Home and Personal Info for a logged-in candidate, with identity replaced by an honest fake."""
from __future__ import annotations

import io
import re

import pytest
from .fakes.identity import csrf_token, log_in, submit

from .accounts import OTHER_PASSWORD, PASSWORD

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SETTINGS = {
    "email": "ada@example.com", "phone": "+44 20 7946 0000", "line1": "1 Analytical Row", "line2": "",
    "city": "London", "region": "", "postal_code": "", "country": "GB", "company": "", "preferred_language": "en",
}


@pytest.fixture
def ada(fake_identity):
    """conftest.py's Ada, with a CCIE number."""
    return fake_identity.add_candidate("Ada", "Lovelace", "ada@example.com", password=PASSWORD, ccie_number="12345")


def _text(response) -> str:
    return response.get_data(as_text=True)


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'<p class="field__error" id="{field}-error"><span class="visually-hidden">Error: </span>([^<]*)</p>', page)
    return match.group(1) if match else ""


@pytest.mark.parametrize("path", ["/personal-info", "/personal-info/identification", "/personal-info/attributes",
                                  "/personal-info/name-change"])
def test_personal_info_needs_a_login(client, fake_identity, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={path}"
    assert fake_identity.calls == []


def test_home_shows_who_is_logged_in(as_ada, ada):
    page = _text(as_ada.get("/"))

    assert "<h1>Welcome, Ada Lovelace</h1>" in page
    assert ada in page and "Cisco" in page
    assert 'href="/personal-info"' in page


def test_every_link_on_a_candidates_pages_works(as_ada):
    seen, queue = set(), ["/", "/personal-info"]
    while queue:
        path = queue.pop()
        seen.add(path)
        page = as_ada.get(path)
        assert page.status_code == 200, path
        for link in re.findall(r'href="(/[^"#?]*)', _text(page)):
            if link not in seen and not link.startswith(("/static", "/dev/")):
                queue.append(link)
    assert {"/personal-info/identification", "/personal-info/attributes", "/personal-info/name-change"} <= seen


# -- Settings ---------------------------------------------------------------------------------
def test_settings_form_shows_the_record_and_marks_required_fields(as_ada):
    page = _text(as_ada.get("/personal-info"))

    assert 'aria-current="page">Settings<' in page
    assert 'value="ada@example.com"' in page and 'value="+44 20 7946 0000"' in page
    assert '<option selected value="GB">United Kingdom</option>' in page
    for field in ("email", "phone", "line1", "city", "country", "preferred_language"):
        label = re.search(rf'<label class="field__label" for="{field}">(.*?)</label>', page).group(1)
        assert "(required)" in label, field
    for field in ("line2", "region", "postal_code", "company"):
        label = re.search(rf'<label class="field__label" for="{field}">(.*?)</label>', page).group(1)
        assert "(required)" not in label, field
    assert 'name="first_name"' not in page  # the name is not edited here


def test_settings_saves_only_what_changed(as_ada, fake_identity, ada):
    response = submit(as_ada, "/personal-info", {**SETTINGS, "company": "Analytical Engines", "city": "Oxford"})

    assert response.headers["Location"] == "/personal-info"
    assert "Your personal information is saved." in _text(as_ada.get("/personal-info"))
    changes = fake_identity.called("update_profile")[-1]
    assert changes["candidate_id"] == ada
    assert set(changes["changes"]) == {"company", "address"}
    assert changes["changes"]["address"]["city"] == "Oxford"
    assert fake_identity.candidates[ada]["company"] == "Analytical Engines"


def test_settings_shows_identitys_messages_next_to_their_fields(as_ada, fake_identity, ada):
    response = submit(as_ada, "/personal-info", {**SETTINGS, "phone": "call me maybe"})

    page = _text(response)
    assert response.status_code == 422
    assert "There is a problem" in page and 'href="#phone"' in page
    assert "country code" in _field_error(page, "phone")
    assert 'aria-invalid="true"' in page
    assert fake_identity.candidates[ada]["phone"] == "+44 20 7946 0000"


def test_settings_checks_email_country_and_required_fields_itself(as_ada, fake_identity):
    response = submit(as_ada, "/personal-info", {**SETTINGS, "email": "not-an-email", "country": "XX", "city": ""})

    page = _text(response)
    assert response.status_code == 422
    assert "name@example.com" in _field_error(page, "email")
    assert "Choose a country from the list." in _field_error(page, "country")
    assert "Enter your town or city." in _field_error(page, "city")
    assert fake_identity.called("update_profile") == []


def test_new_email_waits_for_the_link_sent_to_it(as_ada, fake_identity, ada):
    submit(as_ada, "/personal-info", {**SETTINGS, "email": "ada@new.example"})

    page = _text(as_ada.get("/personal-info"))
    assert "Confirm your new email address via the link we sent to ada@new.example" in page
    assert fake_identity.candidates[ada]["email"] == "ada@example.com"
    assert fake_identity.mails_to("ada@new.example", "email_confirmation")


def test_email_of_another_candidate_is_refused_next_to_the_field(as_ada, fake_identity, grace):
    response = submit(as_ada, "/personal-info", {**SETTINGS, "email": "grace@example.com"})

    assert response.status_code == 422
    assert "already used by another candidate" in _field_error(_text(response), "email")


def test_hidden_candidate_id_in_a_form_changes_nothing_of_another_candidate(as_ada, fake_identity, ada, grace):
    submit(as_ada, "/personal-info", {**SETTINGS, "company": "Mine", "candidate_id": grace})

    assert fake_identity.called("update_profile")[-1]["candidate_id"] == ada
    assert fake_identity.candidates[grace]["company"] is None


# -- Identification -----------------------------------------------------------------------------
def test_identification_lists_linked_sso_accounts_with_unlink(as_ada, fake_identity, ada):
    identity_id = fake_identity.link_identity(ada, "https://sso.example", "ada-1", "ada@work.example")

    page = _text(as_ada.get("/personal-info/identification"))
    assert ada in page and "Cisco" in page and "ada@work.example" in page

    response = as_ada.post(f"/personal-info/identification/{identity_id}/unlink", data={"csrf_token": csrf_token(page)})

    assert response.headers["Location"] == "/personal-info/identification"
    assert "is disconnected" in _text(as_ada.get("/personal-info/identification"))
    assert identity_id not in fake_identity.identities


def test_the_only_login_cannot_be_unlinked(as_ada, fake_identity, ada):
    identity_id = fake_identity.link_identity(ada, "https://sso.example", "ada-1")
    fake_identity.candidates[ada]["password"] = None  # as a candidate who only ever used SSO

    page = _text(as_ada.get("/personal-info/identification"))
    assert "Set a password before disconnecting" in page
    response = as_ada.post(f"/personal-info/identification/{identity_id}/unlink", data={"csrf_token": csrf_token(page)})

    assert "only way to log in" in _text(as_ada.get(response.headers["Location"]))
    assert identity_id in fake_identity.identities


def test_another_candidates_sso_account_cannot_be_unlinked(as_ada, fake_identity, grace):
    theirs = fake_identity.link_identity(grace, "https://sso.example", "grace-1")
    page = _text(as_ada.get("/personal-info/identification"))

    response = as_ada.post(f"/personal-info/identification/{theirs}/unlink", data={"csrf_token": csrf_token(page)})

    assert response.status_code == 404
    assert theirs in fake_identity.identities


# -- Attributes -------------------------------------------------------------------------------------
def test_attributes_show_ccie_read_only_and_save_netacad_and_job_title(as_ada, fake_identity, ada):
    page = _text(as_ada.get("/personal-info/attributes"))
    assert "12345" in page and "Read-only" in page
    assert 'name="ccie_number"' not in page and 'name="ccde_number"' not in page

    response = submit(as_ada, "/personal-info/attributes",
                      {"netacad_id": "NA-77", "job_title": "Analyst", "ccie_number": "99999"})

    assert response.status_code == 302
    assert fake_identity.called("update_profile")[-1]["changes"] == {"netacad_id": "NA-77", "job_title": "Analyst"}
    assert fake_identity.candidates[ada]["ccie_number"] == "12345"


# -- Name change -------------------------------------------------------------------------------------
def _name_change(client, data, document=(PNG, "id.png")):
    page = _text(client.get("/personal-info/name-change"))
    form = {**data, "csrf_token": csrf_token(page)}
    if document is not None:
        form["document"] = (io.BytesIO(document[0]), document[1])
    return client.post("/personal-info/name-change", data=form, content_type="multipart/form-data")


def test_name_change_sends_the_document_and_lists_the_ticket(as_ada, fake_identity, ada):
    response = _name_change(as_ada, {"first_name": "Augusta Ada", "last_name": "King", "reason": "Marriage"})

    assert response.status_code == 302
    sent = fake_identity.called("open_name_change_ticket")[-1]
    assert sent["candidate_id"] == ada and sent["document"]["filename"] == "id.png"
    page = _text(as_ada.get("/personal-info/name-change"))
    assert "is with our support team" in page
    assert "Augusta Ada King" in page and "Waiting for support" in page


def test_name_change_refuses_a_file_that_is_not_an_image_or_pdf(as_ada, fake_identity):
    response = _name_change(as_ada, {"first_name": "Augusta", "last_name": "King", "reason": "Marriage"},
                            document=(b"MZ\x90\x00 not an image", "id.png"))

    assert response.status_code == 422
    assert "PDF, JPEG or PNG" in _field_error(_text(response), "document")
    assert fake_identity.tickets == {}


def test_name_change_refuses_a_wrong_extension_and_a_missing_file_before_identity(as_ada, fake_identity):
    wrong = _name_change(as_ada, {"first_name": "A", "last_name": "K", "reason": "x"}, document=(PNG, "id.exe"))
    missing = _name_change(as_ada, {"first_name": "A", "last_name": "K", "reason": "x"}, document=None)

    assert wrong.status_code == missing.status_code == 422
    assert "PDF, JPEG or PNG" in _field_error(_text(wrong), "document")
    assert "Choose the file" in _field_error(_text(missing), "document")
    assert fake_identity.called("open_name_change_ticket") == []


def test_name_change_document_over_5_mib_is_refused(as_ada, fake_identity):
    big = PNG + b"\x00" * (5 * 1024 * 1024)

    response = _name_change(as_ada, {"first_name": "A", "last_name": "K", "reason": "x"}, document=(big, "id.png"))

    assert response.status_code == 422
    assert "at most 5 MiB" in _field_error(_text(response), "document")
    assert fake_identity.called("open_name_change_ticket") == []


def test_request_bigger_than_the_upload_limit_gets_a_message_not_a_crash(as_ada, fake_identity):
    huge = PNG + b"\x00" * (7 * 1024 * 1024)

    response = _name_change(as_ada, {"first_name": "A", "last_name": "K", "reason": "x"}, document=(huge, "id.png"))

    assert response.status_code == 303
    assert "at most 5 MiB" in _text(as_ada.get(response.headers["Location"]))


def test_other_forms_keep_the_small_body_limit(as_ada):
    page = _text(as_ada.get("/personal-info/attributes"))

    response = as_ada.post("/personal-info/attributes", data={"csrf_token": csrf_token(page), "job_title": "x" * (2 * 1024 * 1024)})

    assert response.status_code == 413


def test_name_change_tickets_are_only_the_candidates_own(client, fake_identity, ada, grace):
    log_in(client, grace, OTHER_PASSWORD)
    _name_change(client, {"first_name": "Grace", "last_name": "Murray", "reason": "Maiden name"})
    client.post("/logout", data={"csrf_token": csrf_token(_text(client.get("/")))})

    log_in(client, ada, PASSWORD)
    page = _text(client.get("/personal-info/name-change"))

    assert "Murray" not in page and "You have not asked for a name change." in page
    assert {call["candidate_id"] for call in fake_identity.called("list_tickets")} == {grace, ada}


# -- the session follows the record ---------------------------------------------------------------------
def test_a_password_change_elsewhere_ends_this_session(as_ada, fake_identity, ada):
    fake_identity.request_password_reset(ada)
    token = fake_identity.mails_to("ada@example.com", "password_reset")[-1]["token"]
    fake_identity.reset_password(token, "a brand new passphrase")

    response = as_ada.get("/personal-info")

    assert response.headers["Location"].startswith("/login")
    assert "session has ended" in _text(as_ada.get("/login"))
    with as_ada.session_transaction() as session:
        assert "candidate_id" not in session


def test_a_session_older_than_its_absolute_lifetime_is_over(as_ada, monkeypatch):
    from gateway.auth import session as candidate_session

    monkeypatch.setattr(candidate_session, "ABSOLUTE_LIFETIME_SECONDS", -1)

    assert as_ada.get("/personal-info").status_code == 302
