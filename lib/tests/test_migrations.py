"""Every service's migration history goes up, down and up again, from the one
shared first revision (certtrack_shared/first_migration/)."""
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from certtrack_shared.config import SERVICES
from certtrack_shared.migrations import alembic_config, downgrade, ensure_database, service_dir, upgrade

FIRST_MIGRATION = Path(__file__).resolve().parents[1] / "certtrack_shared" / "first_migration"


@pytest.mark.parametrize("service", SERVICES)
def test_history_upgrades_downgrades_and_upgrades(service, run_databases):
    url = run_databases.url(f"{service}_roundtrip")
    upgrade(service, url)
    upgrade_tables = set(inspect(create_engine(url)).get_table_names())
    assert {"outbox_messages", "processed_events", "alembic_version"} <= upgrade_tables
    downgrade(service, url)
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
    upgrade(service, url)


def _script(service: str):
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(service, "sqlite://"))


@pytest.mark.parametrize("service", SERVICES)
def test_every_history_starts_at_the_one_shared_first_revision(service):
    script = _script(service)
    assert script.get_bases() == ["0001"]
    first = script.get_revision("0001")
    assert Path(first.path).parent == FIRST_MIGRATION
    assert not list((service_dir(service) / "migrations" / "versions").glob("0001*"))


@pytest.mark.parametrize("service", SERVICES)
def test_a_database_migrated_with_the_services_own_first_revision_keeps_upgrading(
        service, run_databases, tmp_path):
    """Before the shared first revision, each service had its own copy of 0001.
    A database migrated then (here by that history: the copy beside the
    service's versions, no shared folder) is upgraded by today's history."""
    from alembic import command
    from alembic.config import Config

    before = tmp_path / "versions"
    shutil.copytree(service_dir(service) / "migrations" / "versions", before)
    shutil.copy(FIRST_MIGRATION / "0001_reliability_tables.py", before)
    old = Config()
    old.set_main_option("script_location", str(service_dir(service) / "migrations"))
    old.set_main_option("version_locations", str(before))
    url = run_databases.url(f"{service}_before")
    old.attributes["database_url"] = url
    ensure_database(url)
    command.upgrade(old, "0002")

    upgrade(service, url)

    engine = create_engine(url)
    with engine.connect() as connection:
        current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    assert current == _script(service).get_current_head()
