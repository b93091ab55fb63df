#!/usr/bin/env python3
"""Back up CertTrack's state, and restore it into empty databases and a broker vhost.

    python deploy/backup.py backup --to FOLDER
    python deploy/backup.py restore FOLDER/certtrack-backup-<time> [--vhost NAME] [--whole-broker]

`backup` writes one new folder, `certtrack-backup-<UTC time>`, readable by its
owner only, holding:
- `<service>.dump`: every service's database, `pg_dump --format=custom`
  (each a consistent snapshot of its own database);
- `broker-definitions.json`: the broker's definitions from the management API
  (`GET /api/definitions`: vhosts, exchanges, queues, bindings, policies,
  users with their password hashes and permissions; no messages);
- `manifest.json`: when, from which databases and vhost, each file's size
  and SHA-256.

`restore` checks every file against the manifest first and refuses a folder
that does not match it. Then it restores each dump into the database of
`<SERVICE>_DATABASE_URL` (created if missing; refused if it holds any table,
so a restore never mixes with live data), without the source's owners and
grants, in one transaction per database; and loads the backed-up vhost's
exchanges, queues, bindings and policies into `--vhost` (default: the vhost
of BROKER_ADMIN_URI), creating it if missing. Users and their permissions are
the broker-users Job's (their passwords are in the Secret): `--whole-broker`
loads the whole definitions file instead, for a new, empty broker.

Environment, as the migration and broker-users Jobs have it:
<SERVICE>_DATABASE_URL, BROKER_ADMIN_URI (the broker administrator; its vhost
is the one backed up) and RABBIT_MANAGEMENT_URL. pg_dump and pg_restore of the
server's major version must be on the PATH. Passwords reach them through
the environment (PGPASSWORD), never the command line.

The backups hold password hashes, personal data and everything else in the
databases: keep them as the databases are kept (encrypted, access-controlled).
docs/operations.md has the drill; tests/drills/test_backup_restore.py runs it.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from certtrack_shared import config
from certtrack_shared.broker_identities import Administrator
from certtrack_shared.migrations import ensure_database

MANIFEST = "manifest.json"
BROKER_FILE = "broker-definitions.json"
FORMAT = 1
# What a vhost's definitions hold; users, vhosts and permissions are the broker's.
VHOST_SECTIONS = ("exchanges", "queues", "bindings", "policies")
# The libpq parameters a CertTrack database URL may carry in its query string.
LIBPQ_QUERY = ("sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "connect_timeout",
               "target_session_attrs", "application_name")


class BackupError(Exception):
    """A backup or restore that must not go on; the message says why."""


# ----------------------------------------------------------------- PostgreSQL


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """A SQLAlchemy database URL as a libpq connection string without its
    password, and the environment that carries the password."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise BackupError(f"not a PostgreSQL URL: {parsed.render_as_string(hide_password=True)}")
    fields = {"host": parsed.host, "port": parsed.port, "user": parsed.username, "dbname": parsed.database}
    for key, value in parsed.query.items():
        if key not in LIBPQ_QUERY:
            raise BackupError(f"unknown database URL parameter {key!r}")
        fields[key] = value if isinstance(value, str) else value[-1]

    def quoted(value) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    conninfo = " ".join(f"{key}={quoted(value)}" for key, value in fields.items() if value not in (None, ""))
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    return conninfo, env


def run_pg(argv: list[str], url: str) -> None:
    conninfo, secret = libpq(url)
    done = subprocess.run([*argv, "--dbname", conninfo], env={**os.environ, **secret},
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def tables_in(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")).scalar_one()
    finally:
        engine.dispose()


# --------------------------------------------------------------------- broker


def management(admin: Administrator):
    api = admin.api()
    return api.session, api.url


def vhost_path(vhost: str) -> str:
    return quote(vhost, safe="")


def vhost_definitions(definitions: dict, vhost: str) -> dict:
    """The part of whole-broker definitions that belongs to one vhost, without the vhost's name,
    as `POST /api/definitions/<vhost>` takes it."""
    return {section: [{k: v for k, v in item.items() if k != "vhost"}
                      for item in definitions.get(section, []) if item.get("vhost") == vhost]
            for section in VHOST_SECTIONS}


# --------------------------------------------------------------------- backup


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def entry(folder: Path, name: str, **more) -> dict:
    path = folder / name
    return {"file": name, "bytes": path.stat().st_size, "sha256": sha256(path), **more}


def backup(to: Path, services: list[str], admin: Administrator) -> Path:
    started = datetime.now(timezone.utc)
    folder = to / f"certtrack-backup-{started:%Y%m%dT%H%M%SZ}"
    to.mkdir(parents=True, exist_ok=True)
    folder.mkdir(mode=0o700)  # a second backup in the same second fails rather than mixing
    manifest = {"format": FORMAT, "created_at": started.isoformat(), "databases": {}, "broker": None}
    for service in services:
        url = config.database_url(service)
        name = f"{service}.dump"
        run_pg(["pg_dump", "--format=custom", "--file", str(folder / name)], url)
        manifest["databases"][service] = entry(folder, name, database=make_url(url).database)
    session, base = management(admin)
    answer = session.get(f"{base}/api/definitions", timeout=60)
    answer.raise_for_status()
    (folder / BROKER_FILE).write_text(json.dumps(answer.json(), indent=1, sort_keys=True))
    manifest["broker"] = entry(folder, BROKER_FILE, vhost=admin.vhost)
    manifest["finished_at"] = datetime.now(timezone.utc).isoformat()
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
    for path in folder.iterdir():
        path.chmod(0o600)
    return folder


# -------------------------------------------------------------------- restore


def checked_manifest(folder: Path) -> dict:
    manifest = json.loads((folder / MANIFEST).read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    unknown = set(manifest["databases"]) - set(config.SERVICES)
    if unknown:
        raise BackupError(f"not CertTrack services: {', '.join(sorted(unknown))}")
    listed = [*manifest["databases"].values(), manifest["broker"]]
    for item in listed:
        path = folder / item["file"]
        # A manifest names files in its own folder only.
        if path.resolve().parent != folder.resolve() or not path.is_file():
            raise BackupError(f"{item['file']}: missing or outside the backup folder")
        if path.stat().st_size != item["bytes"] or sha256(path) != item["sha256"]:
            raise BackupError(f"{item['file']}: does not match its checksum in {MANIFEST}")
    return manifest


def restore(folder: Path, admin: Administrator, vhost: str | None, whole_broker: bool) -> None:
    manifest = checked_manifest(folder)
    targets = {service: config.database_url(service) for service in manifest["databases"]}
    for service, url in targets.items():  # all refusals before any change
        ensure_database(url)
        if tables_in(url):
            raise BackupError(f"{service}: {make_url(url).database} is not empty; restore only into an empty database")
    for service, url in targets.items():
        run_pg(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                str(folder / manifest["databases"][service]["file"])], url)
    definitions = json.loads((folder / manifest["broker"]["file"]).read_text())
    session, base = management(admin)
    if whole_broker:
        session.post(f"{base}/api/definitions", json=definitions, timeout=120).raise_for_status()
        return
    target = vhost or admin.vhost
    session.put(f"{base}/api/vhosts/{vhost_path(target)}", json={}, timeout=30).raise_for_status()
    session.post(f"{base}/api/definitions/{vhost_path(target)}",
                 json=vhost_definitions(definitions, manifest["broker"]["vhost"]), timeout=120).raise_for_status()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    taking = commands.add_parser("backup", help="back up every service database and the broker definitions")
    taking.add_argument("--to", type=Path, required=True, help="the folder that receives the backup's folder")
    taking.add_argument("--services", nargs="+", default=list(config.SERVICES), choices=config.SERVICES)
    putting = commands.add_parser("restore", help="restore a backup into empty databases and a broker vhost")
    putting.add_argument("folder", type=Path)
    putting.add_argument("--vhost", help="the vhost to load (default: BROKER_ADMIN_URI's)")
    putting.add_argument("--whole-broker", action="store_true",
                         help="load every definition (users, vhosts, permissions) into an empty broker")
    args = parser.parse_args(argv)
    admin = Administrator.from_environment()
    try:
        if args.command == "backup":
            print(backup(args.to, args.services, admin))
        else:
            restore(args.folder, admin, args.vhost, args.whole_broker)
            print(f"restored {args.folder}")
    except BackupError as refused:
        print(f"backup.py: {refused}", file=sys.stderr)
        return 1
    except (OperationalError, requests.RequestException) as unreachable:
        # A database or the broker that does not answer: say which, without a traceback.
        print(f"backup.py: {type(unreachable).__name__}: {str(unreachable).splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
