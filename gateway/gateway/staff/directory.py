"""Who a staff session belongs to *now*, and where staff writes are recorded:
both kept by identity (docs/decisions/0019-staff-second-factor.md).

`StaffDirectory` is the console's one way to them, so the gateway's unit tests
can put an in-memory one in its place (gateway/tests/fakes/staff_directory.py) without
teaching every RPC fake about staff sessions. The app gets the real one when
the staff blueprint is registered (`app.extensions["staff_directory"]`).
"""
from __future__ import annotations

from flask import current_app

from ..auth import client as identity


class StaffDirectory:
    """identity's `staff_current` and `staff_record_audit` (auth/client.py)."""

    def current(self, staff_id: int) -> dict | None:
        """The staff member as they are now (`{id, email, name, role, …}`), None once deactivated.
        No cache: one cheap RPC (a primary-key read) per staff request."""
        return identity.staff_current(staff_id=staff_id)

    def record(self, *, staff_id: int, area: str, action: str, target: str, details: dict,
               client_address: str | None) -> None:
        identity.staff_record_audit(staff_id=staff_id, area=area, action=action, target=target,
                                    details=details, client_address=client_address)


def directory() -> StaffDirectory:
    return current_app.extensions["staff_directory"]
