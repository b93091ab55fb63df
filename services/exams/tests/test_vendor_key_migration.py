"""Migration 0006 gives the vendor keys made before scopes existed what they were
allowed until then (every program of the day) and 90 days to be replaced."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, text

from certtrack_shared.migrations import upgrade

CREATED = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
REVOKED = datetime(2026, 7, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def legacy_keys(run_databases):
    """An exams database at 0005 holding an active and a revoked key, then migrated to head."""
    url = run_databases.url(f"exams_key_migration_{uuid.uuid4().hex[:6]}")
    upgrade("exams", url, "0005")
    engine = create_engine(url)
    with engine.begin() as connection:
        for number, revoked_at in ((1, None), (2, REVOKED)):
            connection.execute(text(
                "INSERT INTO vendor_api_keys (vendor, label, key_prefix, key_hash, created_by, created_at,"
                " revoked_by, revoked_at) VALUES ('pearson_vue', 'old', 'ctv_abcd', :hash, 'ops@example.com',"
                " :created, :revoked_by, :revoked)"),
                {"hash": f"{number:064d}", "created": CREATED, "revoked": revoked_at,
                 "revoked_by": revoked_at and "ops@example.com"})
    before = datetime.now(timezone.utc)
    upgrade("exams", url)
    after = datetime.now(timezone.utc)
    yield engine, before, after
    engine.dispose()


def test_existing_keys_keep_every_program_of_today_and_expire_90_days_after_the_migration(legacy_keys):
    engine, before, after = legacy_keys

    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT id, programs, expires_at FROM vendor_api_keys ORDER BY id")).mappings().all()

    assert [row["programs"] for row in rows] == [["cisco", "juniper"]] * 2
    for row in rows:
        assert before + timedelta(days=90) <= row["expires_at"] <= after + timedelta(days=90)


def test_the_audit_holds_each_existing_keys_creation_revocation_and_scoping(legacy_keys):
    engine, before, after = legacy_keys

    with engine.connect() as connection:
        entries = connection.execute(text(
            "SELECT key_id, action, staff, at, programs FROM vendor_key_audit ORDER BY key_id, id")).all()

    assert [(key_id, action, staff, programs) for key_id, action, staff, _at, programs in entries] == [
        (1, "created", "ops@example.com", None),
        (1, "scoped", "CertTrack (migration 0006)", ["cisco", "juniper"]),
        (2, "created", "ops@example.com", None),
        (2, "revoked", "ops@example.com", None),
        (2, "scoped", "CertTrack (migration 0006)", ["cisco", "juniper"]),
    ]
    assert [at for *_, at, _programs in entries][:1] == [CREATED]
    assert before <= entries[1][3] <= after
