"""The backup and restore drill (docs/operations.md): what an operator does after
losing the databases and the broker, run end to end.

On the running stack (the end-to-end suite's), a candidate earns CCNA and
DevNet Associate through vendor results, sets a password and shares a
transcript that a third party verifies. `deploy/backup.py backup` takes every
service database and the broker's definitions; `restore` puts them into new,
empty databases and a new vhost; a second stack starts on those, and the
candidate logs in to find every page as it was, and the third party the same
transcript.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
import warnings
from pathlib import Path

import pytest
import requests

from certtrack_shared.config import SERVICES
from tests.drills.candidate_record import (CANDIDATE_PAGES, bearer, certified_candidate, pages,
                                          share_transcript)
from tests.e2e.stack import Stack
from tests.harness.broker import Vhost, _api
from tests.harness.messages import wait_for

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "deploy" / "backup.py"


def run_backup(*args: str, databases: dict[str, str], amqp_uri: str) -> subprocess.CompletedProcess[str]:
    """deploy/backup.py as an operator runs it, as the broker administrator of `amqp_uri`."""
    env = dict(os.environ, BROKER_ADMIN_URI=amqp_uri, RABBIT_MANAGEMENT_URL=management_address())
    env.update({f"{service.upper()}_DATABASE_URL": url for service, url in databases.items()})
    return subprocess.run([sys.executable, str(BACKUP), *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)


def management_address() -> str:
    """The management API without credentials: backup.py authenticates as BROKER_ADMIN_URI's user."""
    url, _ = _api("")
    return url.removesuffix("/api/")


def candidate_page(site: str, email: str, path: str) -> dict:
    answer = requests.get(f"{site}{path}", headers=bearer(site, email), timeout=30)
    answer.raise_for_status()
    return answer.json()


def queues_of(vhost: str) -> set[str]:
    url, auth = _api(f"queues/{requests.utils.quote(vhost, safe='')}")
    answer = requests.get(url, auth=auth, timeout=30)
    answer.raise_for_status()
    return {queue["name"] for queue in answer.json()}


def without_moments(verification: dict) -> dict:
    """A verification as the third party reads it, less the moment it was generated."""
    return {key: value for key, value in verification.items() if key != "generated_at"}


@pytest.mark.slow
def test_a_restored_backup_shows_the_candidate_as_before(stack, amqp_uri, vhost, run_databases, tmp_path):
    email = f"restored.{uuid.uuid4().hex[:10]}@example.com"
    certified_candidate(stack, amqp_uri, email)
    # certs signs a badge for each certification from its own announcement: wait for both, so
    # nothing the candidate will see is still on its way when the backup is taken.
    wait_for(lambda: len(candidate_page(stack.url, email, "/api/v1/me/credentials")["items"]) == 2,
             timeout=60, message="the candidate's two badges")
    transcript = share_transcript(stack.url, email)
    first_look = pages(stack.url, email, transcript)  # the third party's view is counted before the backup

    sources = {service: run_databases.url(f"e2e_{service}") for service in SERVICES}
    taken = run_backup("backup", "--to", str(tmp_path / "backups"), databases=sources, amqp_uri=amqp_uri)
    assert taken.returncode == 0, taken.stderr
    folder = Path(taken.stdout.strip().splitlines()[-1])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["databases"]) == set(SERVICES)
    assert manifest["broker"]["vhost"] == vhost.name
    before = {path: seen for path, seen in pages(stack.url, email, transcript).items() if path in CANDIDATE_PAGES}
    assert before["/api/v1/me/certifications"] == first_look["/api/v1/me/certifications"]

    # A tampered backup is refused before anything is restored.
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    for item in folder.iterdir():
        (tampered / item.name).write_bytes(item.read_bytes())
    with (tampered / "certs.dump").open("ab") as dump:
        dump.write(b"\0")
    targets = {service: run_databases.url(f"restored_{service}") for service in SERVICES}
    restored_vhost = Vhost()  # made by the restore, as on a new broker
    try:
        refused = run_backup("restore", str(tampered), "--vhost", restored_vhost.name,
                             databases=targets, amqp_uri=restored_vhost.amqp_uri)
        assert refused.returncode == 1 and "checksum" in refused.stderr, refused.stderr

        put_back = run_backup("restore", str(folder), "--vhost", restored_vhost.name,
                              databases=targets, amqp_uri=restored_vhost.amqp_uri)
        assert put_back.returncode == 0, put_back.stderr
        # The topology is back before any service declares it again.
        assert queues_of(vhost.name) <= queues_of(restored_vhost.name)
        # And a second restore into the now full databases is refused.
        again = run_backup("restore", str(folder), "--vhost", restored_vhost.name,
                           databases=targets, amqp_uri=restored_vhost.amqp_uri)
        assert again.returncode == 1 and "not empty" in again.stderr, again.stderr

        (tmp_path / "restored-stack").mkdir()
        restored = Stack(restored_vhost.amqp_uri, targets, tmp_path / "restored-stack")
        restored.env["REPLICAS"] = "1"  # it only has to serve the pages: one process each starts sooner
        restored.start()
        try:
            after = pages(restored.url, email, transcript)
        finally:
            restored.stop()
    finally:
        try:
            restored_vhost.delete()
        except requests.RequestException as slow:  # the broker's business, not the drill's verdict
            warnings.warn(f"vhost {restored_vhost.name} not deleted: {slow}")

    assert {path: after[path] for path in CANDIDATE_PAGES} == before
    assert [item["id"] for item in after["/api/v1/me/certifications"]["items"]
            if item["status"] == "active"] != []
    assert without_moments(after["verification"]) == without_moments(first_look["verification"])
