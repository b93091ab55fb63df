"""Staff roles in the console: support does the daily work with candidates, administrators
also run the program's configuration and refunds (gateway/staff/access.py).
Services are fakes; the guard refuses before any of them is called."""
from __future__ import annotations

import re

import pytest

from gateway.staff import access

from .accounts import STAFF, SUPPORT_STAFF, form_token, staff_signed_in

ADDRESS = {"name": "Ada Lovelace", "line1": "1 Main St", "city": "San Jose", "region": "CA",
           "postal_code": "95134", "country": "US"}
CARD = "pm_card_visa"  # the payment processor's token of 4242 4242 4242 4242
# A value for each URL argument of a staff view, so that every view has a URL to ask for.
_ARGUMENTS = {"service": "exams", "dead_letter_id": 1, "key_id": 1, "order_id": "ORD-2026-000001",
              "program": "cisco", "ticket_id": 1, "activity_id": 1, "candidate_id": "CSCO10000001",
              "broker_user": "acme-broker", "staff_id": 1}


class _Recorder:
    """The app's RPC client: records every call, answers none."""

    def __init__(self):
        self.calls = []

    def call(self, service, method, *args, **kwargs):
        self.calls.append((service, method))
        raise AssertionError(f"{service}.{method} called")

    def close(self):
        pass


@pytest.fixture
def rpc_calls(app):
    app.extensions["rpc"].close()
    app.extensions["rpc"] = _Recorder()
    return app.extensions["rpc"].calls


def _admin_only_views(app) -> list[tuple[str, str, str]]:
    views = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff.") or rule.endpoint in access.SUPPORT_ENDPOINTS \
                or rule.endpoint in access.OPEN_ENDPOINTS:
            continue
        path = rule.build({name: _ARGUMENTS[name] for name in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            views.append((rule.endpoint, method, path))
    return views


def test_support_is_refused_every_administrators_view_before_any_service_is_called(app, client, rpc_calls):
    token = form_token(client, "/staff/login")  # the CSRF secret lives in the site session, beside the staff cookie
    support = staff_signed_in(app, client, SUPPORT_STAFF)
    views = _admin_only_views(app)
    # The configuration and plumbing pages, and refunds, are among them (not an empty loop).
    assert {"staff.dead_letters", "staff.replay_dead_letter", "staff.vendor_keys", "staff.create_vendor_key",
            "staff.vendor_senders", "staff.register_vendor_sender", "staff.remove_vendor_sender",
            "staff.reload_catalog", "staff.publish_exam_agreement", "staff.refund_order",
            "staff.staff_accounts", "staff.change_staff_active", "staff.audit"} <= {v[0] for v in views}
    for endpoint, method, path in views:
        response = support.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 403, (endpoint, method, path, response.status_code)
        assert "for CertTrack administrators" in response.get_data(as_text=True), endpoint
    assert rpc_calls == []


def test_support_menu_shows_only_what_support_may_use(app, client, fake_identity):
    support = staff_signed_in(app, client, SUPPORT_STAFF)
    page = support.get("/staff/candidates").get_data(as_text=True)
    menu = re.search(r'<nav aria-label="Staff".*?</nav>', page, re.S).group(0)
    for label in ("Tickets", "Candidates", "CE review", "Orders"):
        assert f">{label}</a>" in menu
    for label in ("Catalog", "Exam agreements", "Certification agreements", "Vendor keys",
                  "Vendor broker users", "Dead letters", "Staff accounts", "Audit"):
        assert f">{label}</a>" not in menu


def test_an_administrator_sees_and_opens_every_area(staff, fake_identity, fake_exams):
    page = staff.get("/staff/candidates").get_data(as_text=True)
    menu = re.search(r'<nav aria-label="Staff".*?</nav>', page, re.S).group(0)
    assert len(re.findall(r"<li><a ", menu)) == 12
    assert ">Staff accounts</a>" in menu and ">Audit</a>" in menu
    assert "Sam Admin (admin)" in page
    assert staff.get("/staff/catalog").status_code == 200


def test_support_corrects_an_order_but_leaves_the_refund_to_an_administrator(app, client, fake_fulfillment):
    fake_fulfillment.grant_kit("CSCO10000001")
    order = fake_fulfillment.place_order("CSCO10000001", "key-00000001",
                                         [{"kind": "entitlement", "certification_id": "ccna"}],
                                         ADDRESS, "tracked", CARD)
    fake_fulfillment.cancel_order("CSCO10000001", order["order_id"])
    path = f"/staff/orders/{order['order_id']}"

    support = staff_signed_in(app, client, SUPPORT_STAFF)
    page = support.get(path).get_data(as_text=True)
    assert "Correct status" in page and "Refunds are made by an administrator" in page
    assert "/refund" not in page
    refused = support.post(f"{path}/refund", data={"csrf_token": form_token(support, path)})
    assert refused.status_code == 403 and fake_fulfillment.called("staff_refund_order") == []

    admin = staff_signed_in(app, client, STAFF)
    admin.post(f"{path}/refund", data={"csrf_token": form_token(admin, path)})
    assert fake_fulfillment.called("staff_refund_order") == [
        {"order_id": order["order_id"], "staff_member": STAFF["email"]}]
