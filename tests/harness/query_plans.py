"""The plans of the statements a stack really ran (docs/decisions/0035-flat-cost-as-data-grows.md).

`capture_env` makes every process of a stack write each distinct statement it
sends to PostgreSQL (tests/harness/sql_capture/sitecustomize.py); `captured`
reads them back; `problems` EXPLAINs each on its database and names the
statements that read a large table from end to end.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from sqlalchemy.engine import make_url

CAPTURE = Path(__file__).resolve().parent / "sql_capture"
# A table holding this many rows is large: every table the history loader fills holds more.
LARGE = 5_000
# An index returning more than this share of its table reads most of it anyway.
SELECTIVE = 0.01
# Tables that stay small however many candidates, sittings and messages there are:
# configuration, counters, staff, one row a day. A sequential scan of one stays cheap.
BOUNDED = frozenset({
    "alembic_version", "candidate_id_counters", "staff_users", "staff_recovery_codes",
    "exam_agreements", "certification_agreements", "vendor_api_keys", "vendor_key_audit",
    "vendor_broker_users", "vendor_broker_user_audit", "expert_series", "daily_runs",
    "credential_status_lists", "order_numbers",
})


@dataclass(frozen=True)
class Statement:
    database: str
    sql: str
    prepare: str | None = None  # what made the prepared statement `sql` EXECUTEs

    def __str__(self) -> str:
        # Its columns are noise in a failure message; its tables and conditions are the point.
        return re.sub(r"^SELECT .*? FROM ", "SELECT ... FROM ", " ".join(self.sql.split()))[:600]


def capture_env(folder: Path, environ: dict[str, str]) -> dict[str, str]:
    """What to add to a stack's environment for its processes to capture into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    existing = environ.get("PYTHONPATH")
    return {"CERTTRACK_SQL_CAPTURE": str(folder),
            "PYTHONPATH": str(CAPTURE) + (os.pathsep + existing if existing else "")}


def captured(folder: Path) -> list[Statement]:
    """Each distinct statement once, whichever process ran it."""
    found = {}
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            found.setdefault((entry["database"], entry["sql"]), entry.get("prepare"))
    return [Statement(database, sql, prepare) for (database, sql), prepare in found.items()]


def _reads(node: dict) -> list[tuple[str, str, float]]:
    """(node type, table, estimated rows) of each read of a table of the plan."""
    found = []
    if node.get("Schema") == "public" and "Relation Name" in node:
        found.append((node["Node Type"], node["Relation Name"], node["Plan Rows"]))
    for child in node.get("Plans", ()):
        found += _reads(child)
    return found


def _plan(cursor, statement: Statement) -> list[tuple[str, str, float]]:
    if statement.prepare:
        cursor.execute("DEALLOCATE ALL")  # a session's prepared statements outlive its transactions
        cursor.execute(statement.prepare)
    cursor.execute("EXPLAIN (VERBOSE, FORMAT JSON) " + statement.sql)
    return _reads(cursor.fetchone()[0][0]["Plan"])


def problems(url: str, statements: list[Statement]) -> list[str]:
    """For the statements run on the database at `url`, each one that would read a
    large table from end to end at scale:

    - no index serves it: its plan reads a table that grows with the data
      sequentially even with sequential scans priced out (loaded or empty alike);
    - or the planner reads a large table sequentially, as planned against the
      rows it holds, and the index it could use instead is not selective (it
      would still return more than SELECTIVE of the table). With a selective
      index the planner's choice is the test's scale speaking (an index's fixed
      cost against ten thousand rows), which a million rows reverses.
    """
    found = []
    connection = psycopg2.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT relname, reltuples FROM pg_class c JOIN pg_namespace n"
                           " ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'")
            rows = dict(cursor.fetchall())
            connection.rollback()
            for statement in statements:
                try:
                    chosen = _plan(cursor, statement)
                    cursor.execute("SET LOCAL enable_seqscan = off")
                    forced = _plan(cursor, statement)
                except psycopg2.Error as error:
                    found.append(f"cannot EXPLAIN ({(error.pgerror or str(error)).strip()}): {statement}")
                    connection.rollback()
                    continue
                connection.rollback()
                unserved = {table for kind, table, _ in forced if kind == "Seq Scan"} - BOUNDED
                for table in sorted(unserved):
                    found.append(f"no index serves {table}: {statement}")
                for table in sorted({table for kind, table, _ in chosen if kind == "Seq Scan"} - unserved):
                    size = rows.get(table, 0)
                    instead = max((estimate for _, name, estimate in forced if name == table), default=size)
                    if size >= LARGE and instead > SELECTIVE * size:
                        found.append(f"Seq Scan on {table} ({size:,.0f} rows; its index would return "
                                     f"{instead:,.0f}): {statement}")
    finally:
        connection.close()
    return found
