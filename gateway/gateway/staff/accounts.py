"""Staff accounts (administrators only, `/staff/accounts`): every account with
its role, whether it is active and has a second factor; an administrator
changes another account's role, deactivates or reactivates it, or resets its
second factor (a lost phone: the member sets it up again at their next login).
Identity refuses an administrator acting on their own account, so nobody locks
themselves out. Each change applies at the member's next request
(staff/access.py) and is recorded in the audit like every staff write.
Accounts are created with identity's `staff_create` (deploy/create_staff.py).
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from nameko.exceptions import RemoteError

from ..auth import client as identity
from . import access, blueprint

ROLES = ("admin", "support")


@blueprint.get("/accounts")
def staff_accounts():
    return render_template("staff/accounts.html", accounts=identity.staff_list_accounts(), roles=ROLES)


@blueprint.post("/accounts/<int:staff_id>/role")
def change_staff_role(staff_id: int):
    role = request.form.get("role", "")
    if role not in ROLES:
        flash("Choose admin or support.", "error")
        return redirect(url_for("staff.staff_accounts"))
    return _change(staff_id, identity.staff_update_account, f"is now {role}.", role=role)


@blueprint.post("/accounts/<int:staff_id>/active")
def change_staff_active(staff_id: int):
    active = request.form.get("active") == "1"
    return _change(staff_id, identity.staff_update_account,
                   "is active again." if active else "is deactivated: they are out at their next click.",
                   active=active)


@blueprint.post("/accounts/<int:staff_id>/second-factor/reset")
def reset_staff_second_factor(staff_id: int):
    return _change(staff_id, identity.staff_reset_second_factor,
                   "has no second factor now: they set one up at their next login.")


def _change(staff_id: int, change, done: str, **changes):
    try:
        account = change(staff_id=staff_id, acting_staff_id=access.current_staff()["id"], **changes)
    except RemoteError as error:
        if error.exc_type == "NotFound":
            abort(404)
        if error.exc_type != "NotAuthorized":
            raise
        flash("You cannot change your own account here: ask another administrator.", "error")
        return redirect(url_for("staff.staff_accounts"))
    flash(f"{account['name']} ({account['email']}) {done}", "success")
    return redirect(url_for("staff.staff_accounts"))
