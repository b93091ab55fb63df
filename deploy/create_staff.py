#!/usr/bin/env python3
"""Development only: make sure the staff account `admin@certtrack.example` exists.

`make run` (deploy/run_stack.py) runs this once the stack is ready and prints
the login. The password is generated once per checkout and kept in
var/dev_staff_password, so it stays the same from one `make run` to the next;
delete the file and the account's database to start over. Outside
development it does nothing: production staff accounts are made on purpose,
by an operator calling identity's `staff_create`. (The address is not
`@certtrack.local`: identity refuses special-use domains such as `.local`.)

Staff log in with a second factor: this account sets up its TOTP key at its
first login (the page shows the key as a QR code and as text); the message
printed says how to compute a code from the key without an authenticator app.

A failure here is reported and otherwise ignored: a missing demo staff
account must not stop the stack that `make run` started.

Environment: CERTTRACK_ENV, AMQP_URI, SITE_URL or PORT.
"""
from __future__ import annotations

import os
import secrets
import sys
import time
from pathlib import Path

from nameko.exceptions import RemoteError

from certtrack_shared import config
from certtrack_shared.rpc_client import cluster_rpc

ROOT = Path(__file__).resolve().parent.parent
PASSWORD_FILE = ROOT / "var" / "dev_staff_password"
EMAIL = "admin@certtrack.example"
NAME = "CertTrack Admin"
RPC_TIMEOUT_SECONDS = 30


def kept_password() -> str:
    if not PASSWORD_FILE.exists():
        PASSWORD_FILE.parent.mkdir(parents=True, exist_ok=True)
        try:  # exclusive, owner-only: two stacks starting at once agree on one password
            with os.fdopen(os.open(PASSWORD_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
                file.write(secrets.token_urlsafe(15))
        except FileExistsError:
            time.sleep(0.2)  # the other writer's few bytes
    return PASSWORD_FILE.read_text().strip()


def ensure_account(password: str) -> str:
    """"created" or "exists"."""
    # AMQP_URI is the gateway's broker user: only the gateway calls RPCs.
    with cluster_rpc(config.amqp_uri(), timeout=RPC_TIMEOUT_SECONDS) as rpc:
        try:
            rpc.identity.staff_create(email=EMAIL, name=NAME, role="admin", password=password)
        except RemoteError as error:
            if error.exc_type != "EmailTaken":  # staff_create refuses an existing address
                raise
            return "exists"
    return "created"


def main() -> int:
    if config.environment() != "development":  # production, the default, makes no account
        return 0
    try:
        password = kept_password()
        created = ensure_account(password)
    except Exception as error:  # noqa: BLE001 - reported, never fatal to the stack
        print(f"could not make the development staff account {EMAIL}: {type(error).__name__}: {error}",
              flush=True)
        return 0
    site = os.environ.get("SITE_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
    print(f"staff console: {site.rstrip('/')}/staff/  login {EMAIL} / {password}  ({created})", flush=True)
    if created == "exists":
        print(f"  (the password is the one in {PASSWORD_FILE.relative_to(ROOT)} when the account was made)", flush=True)
    # Every staff login asks for a TOTP code (docs/decisions/0019-staff-second-factor.md).
    print("  second factor: the first login shows a QR code and its key; scan it with an authenticator app,"
          " or print the current code with: .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('<key>').now())\""
          " (keep the recovery codes shown next; an admin of the console can reset a lost second factor)",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
