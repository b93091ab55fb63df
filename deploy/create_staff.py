#!/usr/bin/env python3
"""Development only: a staff account whose printed login works.

`make run` (deploy/run_stack.py) runs this once the stack is ready and prints
the login. The account's address and password are generated once per checkout
and kept in var/dev_staff_account.json, so they stay the same from one
`make run` to the next. The login printed must work whatever the database
already holds: after `make clean` (which deletes var/), or from a second
checkout on a machine whose database already has `admin@certtrack.example`
with another password (and perhaps another second factor), the kept password
is not that account's. Staff passwords have no reset by mail, and this
script has no back door into identity, so it then makes another account,
`admin-<random>@certtrack.example`, and keeps that one. Outside development
it does nothing: production staff accounts are made on purpose, by an
operator calling identity's `staff_create`. (The address is not
`@certtrack.local`: identity refuses special-use domains such as `.local`.)

Staff log in with a second factor: this account sets up its TOTP key at its
first login (the page shows the key as a QR code and as text); the message
printed says how to compute a code from the key without an authenticator app.

A failure here is reported and otherwise ignored: a missing demo staff
account must not stop the stack that `make run` started.

Environment: CERTTRACK_ENV, AMQP_URI, SITE_URL or PORT, DEV_STAFF_ACCOUNT_FILE
(where the login is kept; default var/dev_staff_account.json).
"""
from __future__ import annotations

import json
import os
import secrets
import sys
import time
from pathlib import Path

from nameko.exceptions import RemoteError

from certtrack_shared import config
from certtrack_shared.rpc_client import cluster_rpc

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_FILE = ROOT / "var" / "dev_staff_account.json"
# Where checkouts before the account file kept the first account's password.
OLD_PASSWORD_FILE = ROOT / "var" / "dev_staff_password"
EMAIL = "admin@certtrack.example"
NAME = "CertTrack Admin"
RPC_TIMEOUT_SECONDS = 30


def account_file() -> Path:
    return Path(os.environ.get("DEV_STAFF_ACCOUNT_FILE") or ACCOUNT_FILE)


def kept_login(path: Path) -> dict:
    """{"email", "password"}: made once, owner-only; two stacks starting at once agree on one."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        password = (OLD_PASSWORD_FILE.read_text().strip()
                    if path == ACCOUNT_FILE and OLD_PASSWORD_FILE.exists() else secrets.token_urlsafe(15))
        try:
            write_login(path, {"email": EMAIL, "password": password}, exclusive=True)
        except FileExistsError:
            time.sleep(0.2)  # the other writer's few bytes
    return json.loads(path.read_text())


def write_login(path: Path, login: dict, exclusive: bool = False) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    with os.fdopen(os.open(path, flags, 0o600), "w") as file:
        json.dump(login, file)


def ensure_account(rpc, login: dict) -> str:
    """"created" or "exists" when the kept login works; raises LoginRefused when the
    address belongs to an account that refuses the kept password."""
    try:
        rpc.identity.staff_create(email=login["email"], name=NAME, role="admin", password=login["password"])
        return "created"
    except RemoteError as error:
        if error.exc_type != "EmailTaken":  # staff_create refuses an existing address
            raise
    try:
        rpc.identity.staff_authenticate(email=login["email"], password=login["password"])
    except RemoteError as error:
        if error.exc_type in ("InvalidCredentials", "TooManyAttempts"):
            raise LoginRefused(login["email"]) from error
        raise
    return "exists"


class LoginRefused(Exception):
    """The kept address belongs to an account made with another password."""


def working_login(path: Path) -> tuple[dict, str]:
    """The kept login, or a new account's when the kept one is refused."""
    login = kept_login(path)
    # AMQP_URI is the gateway's broker user: only the gateway calls RPCs.
    with cluster_rpc(config.amqp_uri(), timeout=RPC_TIMEOUT_SECONDS) as rpc:
        try:
            return login, ensure_account(rpc, login)
        except LoginRefused:
            login = {"email": f"admin-{secrets.token_hex(3)}@certtrack.example",
                     "password": secrets.token_urlsafe(15)}
            created = ensure_account(rpc, login)
            write_login(path, login)
            return login, f"{created}; {EMAIL} exists with another password"


def main() -> int:
    if config.environment() != "development":  # production, the default, makes no account
        return 0
    try:
        login, created = working_login(account_file())
    except Exception as error:  # noqa: BLE001 - reported, never fatal to the stack
        print(f"could not make the development staff account {EMAIL}: {type(error).__name__}: {error}",
              flush=True)
        return 0
    site = os.environ.get("SITE_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
    print(f"staff console: {site.rstrip('/')}/staff/  login {login['email']} / {login['password']}  ({created})",
          flush=True)
    # Every staff login asks for a TOTP code (docs/decisions/0019-staff-second-factor.md).
    print("  second factor: the first login shows a QR code and its key; scan it with an authenticator app,"
          " or print the current code with: .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('<key>').now())\""
          " (keep the recovery codes shown next; an admin of the console can reset a lost second factor)",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
