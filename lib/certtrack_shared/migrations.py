"""Create a service's database if missing and migrate it to head.

`python -m certtrack_shared.migrations identity exams …` — used by `make run`,
the container entrypoint and the test harness, so all three migrate alike.
Each service's Alembic `env.py` calls `run_env` so the five stay identical.

Every service's history starts with the same revision, `0001` (the outbox
and the processed events), kept once in `first_migration/` beside this
module: each service's alembic.ini lists that folder before its own
`migrations/versions/` (`version_locations`), and the service's `0002`
revises `0001`. The id is the one the five copies had, so databases migrated
before keep upgrading.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from certtrack_shared import config, production

REPO_ROOT = Path(os.environ.get("CERTTRACK_ROOT", Path(__file__).resolve().parents[2]))


def service_dir(service: str) -> Path:
    return REPO_ROOT / "services" / service


def ensure_database(url: str) -> None:
    """CREATE DATABASE when it does not exist (PostgreSQL); SQLite makes its file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": parsed.database},
            ).first()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and Path(parsed.database).exists():
            Path(parsed.database).unlink()
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def alembic_config(service: str, url: str):
    from alembic.config import Config

    folder = service_dir(service)
    alembic_cfg = Config(str(folder / "alembic.ini"))
    alembic_cfg.set_main_option("script_location", str(folder / "migrations"))
    alembic_cfg.attributes["database_url"] = url
    return alembic_cfg


def upgrade(service: str, url: str | None = None, revision: str = "head") -> None:
    from alembic import command

    url = url or config.database_url(service)
    ensure_database(url)
    command.upgrade(alembic_config(service, url), revision)


def downgrade(service: str, url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(service, url), revision)


def run_env(context, target_metadata, service: str) -> None:
    """The body of every service's `migrations/env.py`."""
    from certtrack_shared.tables import reliability_metadata

    url = context.config.attributes.get("database_url") or config.database_url(service)
    metadata = [target_metadata, reliability_metadata]
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


def create_dead_letter_tables(op) -> None:
    """For the migration that gives a consuming service its dead-letter archive
    (`dead_letters`, `dead_letter_audit`; certtrack_shared/deadletters/)."""
    from certtrack_shared.tables import DEAD_LETTER_TABLES, reliability_metadata

    reliability_metadata.create_all(op.get_bind(), tables=list(DEAD_LETTER_TABLES))


def drop_dead_letter_tables(op) -> None:
    from certtrack_shared.tables import DEAD_LETTER_TABLES, reliability_metadata

    reliability_metadata.drop_all(op.get_bind(), tables=list(DEAD_LETTER_TABLES))


def add_outbox_headers(op) -> None:
    """For each service's migration that lets its outbox keep message headers
    (the correlation id and trace context, certtrack_shared/tracing)."""
    from certtrack_shared.tables import outbox_headers_column

    op.add_column("outbox_messages", outbox_headers_column())


def drop_outbox_headers(op) -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("headers")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Create and migrate service databases.")
    parser.add_argument("services", nargs="*", default=list(config.SERVICES))
    args = parser.parse_args(argv)
    # The migration Jobs are production processes too (decision 0015).
    production.refuse_insecure_settings(
        "migrate", {f"{s.upper()}_DATABASE_URL": config.database_url(s) for s in args.services})
    for service in args.services:
        upgrade(service)
        print(f"{service}: migrated ({make_url(config.database_url(service)).render_as_string(hide_password=True)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
