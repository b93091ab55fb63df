"""An in-memory stand-in for gateway/staff/directory.py (identity's `staff_current`
and `staff_record_audit`), installed by the gateway tests' app factory: it knows
the staff members the tests sign in as, answers None for anyone deactivated or
unknown, and keeps the audit entries the console records."""
from __future__ import annotations


class FakeStaffDirectory:
    def __init__(self, *members: dict):
        self.accounts: dict[int, dict] = {}
        self.entries: list[dict] = []
        for member in members:
            self.add(member)

    def add(self, member: dict, active: bool = True) -> dict:
        self.accounts[member["id"]] = dict(member, active=active)
        return self.accounts[member["id"]]

    def current(self, staff_id: int) -> dict | None:
        account = self.accounts.get(staff_id)
        return dict(account) if account is not None and account["active"] else None

    def record(self, *, staff_id, area, action, target, details, client_address) -> None:
        self.entries.append({"staff_id": staff_id, "area": area, "action": action, "target": target,
                             "details": details, "client_address": client_address})

    def actions(self) -> list[str]:
        return [entry["action"] for entry in self.entries]
