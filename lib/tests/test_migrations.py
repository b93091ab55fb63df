"""Every service's migration history goes up, down and up again."""
import pytest
from sqlalchemy import create_engine, inspect

from certtrack_shared.config import SERVICES
from certtrack_shared.migrations import downgrade, upgrade


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
