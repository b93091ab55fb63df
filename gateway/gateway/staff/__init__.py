"""The staff console under `/staff`: staff login, support-ticket queue, candidates.

Staff sign in with their own account (identity's `staff_*` methods) and get a
session of their own, kept apart from the candidate session (see
`access.py`): a candidate session never opens a staff page, and a browser
without a staff session is sent to the staff login.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint

blueprint = Blueprint("staff", __name__, url_prefix="/staff")


@blueprint.record_once
def _wire(state):
    from .directory import StaffDirectory

    state.app.extensions.setdefault("staff_directory", StaffDirectory())


@blueprint.app_template_filter("staff_time")
def staff_time(iso: str | None) -> str:
    """An ISO timestamp as staff read it, in UTC to the minute."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


# The views register themselves on the blueprint.
from . import access, auth, candidates, tickets  # noqa: E402, F401
from . import dead_letters, vendor_keys, vendor_senders  # noqa: E402, F401
from . import agreements  # noqa: E402, F401  (exam and certification agreements)
from . import catalog, continuing_education  # noqa: E402, F401
from . import orders  # noqa: E402, F401
from . import accounts, audit, second_factor  # noqa: E402, F401  (decision 0019)
