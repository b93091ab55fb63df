"""The logins `make run` prints work whatever the databases already hold
(issue 17, "fresh machines"): a second checkout, or the same one after
`make clean` (which deletes var/), keeps other passwords than the ones the
demo candidate and the staff account were made with."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import requests

from certtrack_shared.broker_identities import DEV_VENDOR
from certtrack_shared.rpc_client import cluster_rpc
from tests.e2e.stack import ROOT
from tests.harness.messages import as_user, wait_for

DEMO_EMAIL = "dana.demo@example.com"


def run_script(stack, script: str, **env) -> str:
    """A development one-shot as run_stack runs it, as another checkout would (its own var/)."""
    environment = dict(stack.env, VENDOR_AMQP_URI=as_user(stack.env["AMQP_URI"], DEV_VENDOR), **env)
    done = subprocess.run([sys.executable, str(ROOT / "deploy" / script)], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return done.stdout


def stack_printed(stack, prefix: str) -> str:
    """The line a one-shot of the stack printed, without run_stack's `name | ` in front."""
    def printed():
        for line in stack.log.read_text().splitlines():
            said = line.split("| ", 1)[-1]
            if said.startswith(prefix):
                return said
        return None

    return wait_for(printed, timeout=120, message=f"run_stack's '{prefix}' line")


def token_for(stack, login: str, password: str) -> requests.Response:
    return requests.post(f"{stack.url}/api/v1/auth/token", json={"login": login, "password": password},
                         timeout=30)


def test_a_second_checkout_prints_a_demo_login_that_works(stack, tmp_path):
    first = stack_printed(stack, "demo candidate:")  # the stack's own loader, this checkout's password
    first_password = first.rsplit(" / ", 1)[1]
    assert token_for(stack, DEMO_EMAIL, first_password).status_code == 200

    printed = run_script(stack, "load_demo.py", DEV_DEMO_PASSWORD_FILE=str(tmp_path / "dev_demo_password"))

    password = re.search(r"^demo candidate: .* / (\S+)$", printed, re.M).group(1)
    assert password != first_password and password == (tmp_path / "dev_demo_password").read_text().strip()
    assert token_for(stack, DEMO_EMAIL, password).status_code == 200
    assert oct(os.stat(tmp_path / "dev_demo_password").st_mode & 0o777) == "0o600"

    again = run_script(stack, "load_demo.py", DEV_DEMO_PASSWORD_FILE=str(tmp_path / "dev_demo_password"))
    assert re.search(r"^demo candidate: .* / (\S+)$", again, re.M).group(1) == password


def test_a_second_checkout_prints_a_staff_login_that_works(stack, tmp_path):
    stack_printed(stack, "staff console:")  # the stack's own admin@certtrack.example exists
    kept = tmp_path / "dev_staff_account.json"

    printed = run_script(stack, "create_staff.py", DEV_STAFF_ACCOUNT_FILE=str(kept))

    email, password = re.search(r"^staff console: \S+  login (\S+) / (\S+)  \(", printed, re.M).groups()
    # admin@certtrack.example refuses this checkout's new password, so it got an account of its own.
    assert email != "admin@certtrack.example" and email.endswith("@certtrack.example")
    assert "exists with another password" in printed
    with cluster_rpc(stack.env["AMQP_URI"], timeout=30) as rpc:
        assert rpc.identity.staff_authenticate(email=email, password=password)["email"] == email

    again = run_script(stack, "create_staff.py", DEV_STAFF_ACCOUNT_FILE=str(kept))
    assert f"login {email} / {password}  (exists)" in again
