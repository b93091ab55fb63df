"""The staff audit (gateway/staff/audit.py): every state-changing staff route is
recorded after it succeeds, found by walking the URL map, so a route added later
is covered without editing a list; what an entry holds; the admin's audit page."""
from __future__ import annotations

import functools

from flask import flash, redirect

from gateway.staff import audit

from .accounts import STAFF, form_token, staff_signed_in
from .test_staff_console import STAFF as SUPPORT_SAM, _csrf, _log_in, app, identity  # noqa: F401 (fixtures)

# A value for each URL argument of a staff route.
_ARGUMENTS = {"service": "exams", "dead_letter_id": 1, "key_id": 1, "order_id": "ORD-2026-000001",
              "program": "cisco", "ticket_id": 1, "activity_id": 1, "candidate_id": "CSCO10000001",
              "broker_user": "acme-broker", "staff_id": 9}


def _staff_writes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff.") and rule.endpoint not in audit.NOT_AUDITED:
            for method in sorted(rule.methods & audit.STATE_CHANGING):
                yield rule, method


def _succeeding(view):
    """`view` as if its service had said yes: same name and module, a redirect as answer."""
    @functools.wraps(view)
    def done(**_):
        return redirect("/staff/")
    return done


def test_every_state_changing_staff_route_is_audited(make_app):
    app = make_app()
    directory = app.extensions["staff_directory"]
    client = app.test_client()
    token = form_token(client, "/staff/login")  # the CSRF secret lives in the site session
    staff_signed_in(app, client, STAFF)  # an administrator reaches every route
    writes = list(_staff_writes(app))
    assert {"staff.set_attributes", "staff.create_vendor_key", "staff.replay_dead_letter", "staff.refund_order",
            "staff.reload_catalog", "staff.change_staff_active", "staff.approve"} <= {r.endpoint for r, _ in writes}
    uncovered = []
    for rule, method in writes:
        app.view_functions[rule.endpoint] = _succeeding(app.view_functions[rule.endpoint])
        directory.entries.clear()
        path = rule.build({name: _ARGUMENTS[name] for name in rule.arguments})[1]
        response = client.open(path, method=method, data={"csrf_token": token, "reason": "typo"})
        assert response.status_code == 302, (rule.rule, response.status_code)
        action = rule.endpoint.split(".", 1)[1]
        if [(e["action"], e["staff_id"]) for e in directory.entries] != [(action, STAFF["id"])]:
            uncovered.append(f"{method} {rule.rule}")
    assert not uncovered, "staff writes without an audit entry: " + ", ".join(uncovered)
    print(f"audited {len(writes)} staff writes:", ", ".join(sorted(f"{m} {r.rule}" for r, m in writes)))


def test_support_editing_a_ccie_number_is_recorded_with_who_and_what(client, identity):
    _log_in(client)
    directory = client.application.extensions["staff_directory"]
    directory.entries.clear()
    path = "/staff/candidates/CSCO10000001"
    response = client.post(f"{path}/attributes", data={
        "csrf_token": _csrf(client, path), "ccie_number": "12345", "ccde_number": ""})
    assert response.status_code == 302 and identity.candidates["CSCO10000001"]["ccie_number"] == "12345"
    [entry] = directory.entries
    assert entry == {"staff_id": SUPPORT_SAM["id"], "area": "candidates", "action": "set_attributes",
                     "target": "candidate_id=CSCO10000001",
                     "details": {"ccie_number": "12345", "ccde_number": ""}, "client_address": "127.0.0.1"}


def test_refused_writes_and_secrets_are_not_recorded(client, identity):
    _log_in(client)
    directory = client.application.extensions["staff_directory"]
    directory.entries.clear()
    path = "/staff/candidates/CSCO10000001"
    refused = client.post(f"{path}/attributes", data={"csrf_token": _csrf(client, path), "ccie_number": "12a"})
    assert refused.status_code == 400 and directory.entries == []

    @functools.wraps(client.application.view_functions["staff.set_attributes"])
    def flashes_an_error(**_):
        flash("This was already done by a colleague; nothing was changed.", "error")
        return redirect("/staff/")

    client.application.view_functions["staff.set_attributes"] = flashes_an_error
    client.post(f"{path}/attributes", data={"csrf_token": _csrf(client, path)})
    assert directory.entries == []

    @functools.wraps(flashes_an_error)
    def succeeds(**_):
        return redirect("/staff/")

    client.application.view_functions["staff.set_attributes"] = succeeds
    client.post(f"{path}/attributes", data={
        "csrf_token": _csrf(client, path), "password": "hunter2hunter2", "api_key": "ctk_live_abc",
        "totp_code": "123456", "client_secret": "s", "note": "x" * 500})
    [entry] = directory.entries
    assert entry["details"] == {"note": "x" * 199 + "…"}


class _AuditDesk:
    """identity's staff_list_audit over a list, as the audit page asks it."""

    def __init__(self):
        self.asked = []

    def call(self, service, method, **kwargs):
        assert (service, method) == ("identity", "staff_list_audit")
        self.asked.append(kwargs)
        if kwargs["since"] == "yesterday":
            from .fakes.staff_identity import remote_error

            raise remote_error("InvalidProfile", {"since": "Give a date as YYYY-MM-DD."})
        entry = {"id": 1, "recorded_at": "2026-11-25T10:00:00+00:00", "staff_id": 8,
                 "staff_email": "suki@certtrack.example", "area": "candidates", "action": "set_attributes",
                 "target": "candidate_id=CSCO10000001", "details": {"ccie_number": "12345"}, "client_address": None}
        return {"entries": [entry], "page": 2, "pages": 3, "total": 101,
                "areas": {"candidates": ["set_attributes"]}}

    def close(self):
        pass


def test_the_audit_page_shows_entries_with_filters_and_pages(make_app):
    app = make_app()
    app.extensions["rpc"].close()
    app.extensions["rpc"] = desk = _AuditDesk()
    client = staff_signed_in(app, app.test_client(), STAFF)
    page = client.get("/staff/audit?staff=suki&area=candidates&target=CSCO1&since=2026-11-01&page=2")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert desk.asked == [{"page": 2, "staff": "suki", "area": "candidates", "action": None,
                           "target": "CSCO1", "since": "2026-11-01", "until": None}]
    for shown in ("suki@certtrack.example", "set_attributes", "candidate_id=CSCO10000001", "12345",
                  "2026-11-25 10:00 UTC", "page 2 of 3", "Newer", "Older"):
        assert shown in text, shown
    bad = client.get("/staff/audit?since=yesterday").get_data(as_text=True)
    assert "Give a date as YYYY-MM-DD." in bad
