"""Testing vendors' broker users: which vendor and programs each may publish
for (CONTRACTS.md §7). Admins register and remove them here; exams keeps
the registrations and their audit (services/exams/exams/handlers/vendor_senders.py)
and dead-letters a vendor message from a broker user not registered for
its vendor and program. The broker user itself (its password and its
permission to publish to `vendor.events`) is the broker operator's to make:
`python -m certtrack_shared.broker_identities apply --vendor <user>`.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from nameko.exceptions import RemoteError

from ..profile.pages import PROGRAMS  # the programs identity knows, by code
from ..vendor import client as vendor
from . import access, blueprint
from .forms import problems_of


@blueprint.get("/vendor-senders")
def vendor_senders():
    return _page({}, {"broker_user": "", "vendor": "", "programs": []}), 200


@blueprint.post("/vendor-senders")
def register_vendor_sender():
    values = {name: request.form.get(name, "").strip() for name in ("broker_user", "vendor")}
    values["programs"] = request.form.getlist("programs")
    problems = {name: "Required." for name in ("broker_user", "vendor") if not values[name]}
    if not values["programs"]:
        problems["programs"] = "Choose at least one program the user may publish messages for."
    elif not set(values["programs"]) <= set(PROGRAMS):
        problems["programs"] = "Choose among the programs listed."
    if problems:
        return _page(problems, values), 400
    try:
        registered = vendor.register_vendor_sender(broker_user=values["broker_user"],
                            vendor=values["vendor"], programs=values["programs"],
                            staff=access.current_staff()["email"])
    except RemoteError as error:
        problems = problems_of(error)
        if problems is None:
            raise
        return _page(problems, values), 422
    flash(f"Broker user {registered['broker_user']} may publish messages of "
          f"{registered['vendor']} for {', '.join(registered['programs'])}.", "success")
    return redirect(url_for("staff.vendor_senders"))


@blueprint.post("/vendor-senders/<path:broker_user>/remove")
def remove_vendor_sender(broker_user: str):
    removed = vendor.remove_vendor_sender(broker_user=broker_user,
                     staff=access.current_staff()["email"])
    flash(f"Broker user {removed['broker_user']} is removed: its messages are dead-lettered "
          "from now on.", "success")
    return redirect(url_for("staff.vendor_senders"))


def _page(problems: dict, values: dict):
    return render_template("staff/vendor_senders.html", senders=vendor.list_vendor_senders(),
                           programs=PROGRAMS, problems=problems, values=values)
