"""The staff console's vendor API keys, with exams replaced by its fake
(gateway/tests/fakes/staff_desks.py): a key is scoped to one vendor and a set of
programs and expires; the list shows both, flags expired keys and each key's
audit trail; only administrators reach any of it."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from .accounts import STAFF, SUPPORT_STAFF, form_token, staff_signed_in

PAGE = "/staff/vendor-keys"


def in_days(days: int) -> str:
    return (datetime.now(timezone.utc).date() + timedelta(days=days)).isoformat()


def create(client, **fields):
    data = {"vendor": "pearson_vue", "label": "Production", "programs": ["cisco"],
            "expires_on": in_days(365), **fields}
    return client.post(PAGE, data={"csrf_token": form_token(client, PAGE), **data})


def problem(page: str, field: str) -> str:
    found = re.search(rf'<p class="field__problem" id="key-{field}-problem">([^<]*)</p>', page)
    return found and found.group(1)


# -- creating a key -------------------------------------------------------------------------
def test_a_new_key_is_shown_once_and_never_again(staff, desks):
    response = create(staff, programs=["cisco", "juniper"], expires_on=in_days(90))

    page = response.get_data(as_text=True)
    assert response.status_code == 201
    [key] = re.findall(r'value="(ctv_[^"]+)"', page)
    assert "shown only this once" in page
    assert "cisco, juniper" in page and in_days(90) in page
    assert response.headers["Cache-Control"] == "no-store"
    assert desks.vendor_keys.called("create_vendor_key") == [{
        "vendor": "pearson_vue", "label": "Production", "programs": ["cisco", "juniper"],
        "expires_at": f"{in_days(90)}T00:00:00+00:00", "staff": STAFF["email"]}]
    # Not in any cookie, not on the list, not in a later page.
    assert key not in " ".join(response.headers.getlist("Set-Cookie"))
    listing = staff.get(PAGE).get_data(as_text=True)
    assert key not in listing and f"{key[:8]}…" in listing


def test_the_form_offers_every_program_unticked_and_an_expiry_a_year_away(staff, desks):
    page = staff.get(PAGE).get_data(as_text=True)

    boxes = re.findall(r'<input type="checkbox" name="programs" value="(\w+)"( checked)?', page)
    assert boxes == [("cisco", ""), ("juniper", "")]
    assert re.search(rf'<input id="key-expires_on" name="expires_on" type="date" value="{in_days(365)}"', page)
    assert "at most 2 years" in page


def test_creating_a_key_without_programs_is_refused_beside_the_field(staff, desks):
    response = create(staff, programs=[])

    assert response.status_code == 400
    assert problem(response.get_data(as_text=True), "programs") == \
        "Choose at least one program the key may post messages for."
    assert desks.vendor_keys.called("create_vendor_key") == []


def test_creating_a_key_for_a_program_that_does_not_exist_is_refused(staff, desks):
    response = create(staff, programs=["cisco", "comptia"])

    assert response.status_code == 400
    assert problem(response.get_data(as_text=True), "programs") == "Choose among the programs listed."
    assert desks.vendor_keys.called("create_vendor_key") == []


def test_an_expiry_beyond_two_years_is_refused_beside_the_field_and_the_form_kept(staff, desks):
    response = create(staff, programs=["juniper"], expires_on=in_days(800), label="Keep me")

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A key may live at most 2 years" in problem(page, "expires_on")
    assert re.search(r'value="juniper" checked', page) and 'value="Keep me"' in page
    assert desks.vendor_keys.list_vendor_keys() == []


@pytest.mark.parametrize("expires_on", ["", "next year", "2027-02-30"])
def test_an_expiry_that_is_not_a_date_is_refused(staff, desks, expires_on):
    response = create(staff, expires_on=expires_on)

    assert response.status_code == 400
    assert problem(response.get_data(as_text=True), "expires_on") == \
        "Give the date the key stops working (YYYY-MM-DD)."
    assert desks.vendor_keys.called("create_vendor_key") == []


def test_creating_a_key_needs_vendor_and_label(staff, desks):
    missing = create(staff, vendor="", label="")
    assert missing.status_code == 400 and desks.vendor_keys.called("create_vendor_key") == []

    refused = create(staff, vendor="pearson vue")
    assert refused.status_code == 422
    assert problem(refused.get_data(as_text=True), "vendor") == "Give the vendor as in its messages."


# -- the list -------------------------------------------------------------------------------
def test_the_list_shows_each_keys_scope_and_expiry_and_flags_expired_keys(staff, desks):
    desks.vendor_keys.issue(programs=["cisco", "juniper"], label="Both programs")
    desks.vendor_keys.issue(programs=["juniper"], label="Old one")
    desks.vendor_keys.expire(2)

    page = staff.get(PAGE).get_data(as_text=True)

    rows = re.findall(r"<tr>.*?</tr>", page, re.S)[1:]
    assert "Both programs" in rows[0] and "cisco, juniper" in rows[0] and "status--active" in rows[0]
    assert "Old one" in rows[1] and "juniper" in rows[1] and "status--expired" in rows[1]
    assert ">expired<" in rows[1] and "Revoke" not in rows[1]
    for row, key in zip(rows, desks.vendor_keys.keys.values()):
        assert f'<time datetime="{key["expires_at"]}">' in row


def test_the_audit_records_the_creator_and_the_page_shows_it(staff, desks):
    create(staff, programs=["cisco"], expires_on=in_days(30))

    [created] = desks.vendor_keys.list_vendor_keys()
    assert [(entry["action"], entry["staff"]) for entry in created["history"]] == [("created", STAFF["email"])]
    history = re.search(r"<details.*?</details>", staff.get(PAGE).get_data(as_text=True), re.S).group(0)
    assert f"Created by {STAFF['email']}" in history and "cisco" in history and in_days(30) in history


def test_revoking_a_key_records_who(staff, desks):
    desks.vendor_keys.issue(vendor="pearson_vue")

    response = staff.post(f"{PAGE}/1/revoke", data={"csrf_token": form_token(staff, PAGE)})

    assert response.status_code == 302
    assert desks.vendor_keys.called("revoke_vendor_key") == [{"key_id": 1, "staff": STAFF["email"]}]
    page = staff.get(PAGE).get_data(as_text=True)
    assert "is revoked" in page and f"by {STAFF['email']}" in page
    assert f"Revoked by {STAFF['email']}" in page


# -- who may ---------------------------------------------------------------------------------
def test_a_support_user_cannot_see_create_or_revoke_keys(app, client, desks):
    token = form_token(client, "/staff/login")
    desks.vendor_keys.issue()
    desks.vendor_keys.calls.clear()
    support = staff_signed_in(app, client, SUPPORT_STAFF)

    listing = support.get(PAGE)
    created = support.post(PAGE, data={"csrf_token": token, "vendor": "pearson_vue", "label": "x",
                                       "programs": ["cisco"], "expires_on": in_days(30)})
    revoked = support.post(f"{PAGE}/1/revoke", data={"csrf_token": token})

    assert [response.status_code for response in (listing, created, revoked)] == [403, 403, 403]
    assert desks.vendor_keys.calls == []
    assert desks.vendor_keys.keys[1]["revoked_at"] is None
