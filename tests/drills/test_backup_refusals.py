"""What deploy/backup.py refuses before it touches a database or the broker.

A backup folder is input like any other: it may have been copied, truncated
or tampered with, and a restore must not read files outside it or write to
databases it was not asked about. Passwords must never reach pg_dump's
command line, where any user of the machine reads them.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("backup", ROOT / "deploy" / "backup.py")
backup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(backup)


def write_backup(folder: Path, databases: dict[str, str], broker_file: str = "broker-definitions.json") -> Path:
    folder.mkdir()
    entries = {}
    for service, name in databases.items():
        path = folder / name
        if path.resolve().parent == folder.resolve():
            path.write_bytes(b"PGDMP dump of " + service.encode())
        data = path.read_bytes() if path.is_file() else b""
        entries[service] = {"file": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                            "database": f"certtrack_{service}"}
    (folder / "broker-definitions.json").write_text("{}")
    broker = {"file": broker_file, "bytes": 2, "sha256": hashlib.sha256(b"{}").hexdigest(), "vhost": "/"}
    (folder / "manifest.json").write_text(json.dumps({"format": 1, "databases": entries, "broker": broker}))
    return folder


def test_a_whole_backup_passes_its_checks(tmp_path):
    folder = write_backup(tmp_path / "backup", {"identity": "identity.dump"})
    assert set(backup.checked_manifest(folder)["databases"]) == {"identity"}


def test_a_manifest_naming_a_file_outside_its_folder_is_refused(tmp_path):
    secret = tmp_path / "elsewhere.dump"
    secret.write_bytes(b"not part of the backup")
    folder = write_backup(tmp_path / "backup", {"identity": "../elsewhere.dump"})
    with pytest.raises(backup.BackupError, match="outside the backup folder"):
        backup.checked_manifest(folder)


def test_a_manifest_naming_something_other_than_a_service_is_refused(tmp_path):
    folder = write_backup(tmp_path / "backup", {"postgres": "postgres.dump"})
    with pytest.raises(backup.BackupError, match="not CertTrack services: postgres"):
        backup.checked_manifest(folder)


def test_a_changed_or_missing_file_is_refused(tmp_path):
    folder = write_backup(tmp_path / "backup", {"identity": "identity.dump", "certs": "certs.dump"})
    (folder / "certs.dump").write_bytes(b"PGDMP dump of certz")  # same size, other content
    with pytest.raises(backup.BackupError, match="certs.dump: does not match its checksum"):
        backup.checked_manifest(folder)
    (folder / "certs.dump").unlink()
    with pytest.raises(backup.BackupError, match="certs.dump: missing"):
        backup.checked_manifest(folder)


def test_the_password_reaches_libpq_through_the_environment_only():
    conninfo, env = backup.libpq("postgresql+psycopg2://certtrack:s3cr%27et%20pw@db.example.org:5433/"
                                 "certtrack_identity?sslmode=verify-full")
    assert "s3cr" not in conninfo
    assert env == {"PGPASSWORD": "s3cr'et pw"}
    assert conninfo == ("host='db.example.org' port='5433' user='certtrack' dbname='certtrack_identity' "
                        "sslmode='verify-full'")


def test_a_value_cannot_add_a_connection_parameter():
    conninfo, _ = backup.libpq("postgresql://u@h/db?application_name=x%27%20host%3D%27evil")
    assert conninfo.endswith(r"application_name='x\' host=\'evil'")


@pytest.mark.parametrize("url,why", [
    ("postgresql://u@h/db?options=-c%20search_path%3Devil", "unknown database URL parameter 'options'"),
    ("sqlite:///var/identity.db", "not a PostgreSQL URL"),
])
def test_a_url_backup_cannot_pass_on_safely_is_refused(url, why):
    with pytest.raises(backup.BackupError, match=why):
        backup.libpq(url)


def test_only_the_backed_up_vhost_is_restored_into_another():
    definitions = {
        "queues": [{"name": "q", "vhost": "prod", "durable": True}, {"name": "other", "vhost": "staging"}],
        "exchanges": [{"name": "certs.events", "vhost": "prod", "type": "topic"}],
        "bindings": [], "policies": [{"name": "p", "vhost": "staging"}],
        "users": [{"name": "admin", "password_hash": "x"}],
    }
    assert backup.vhost_definitions(definitions, "prod") == {
        "exchanges": [{"name": "certs.events", "type": "topic"}],
        "queues": [{"name": "q", "durable": True}], "bindings": [], "policies": []}
