"""Every process started with this folder on its PYTHONPATH and CERTTRACK_SQL_CAPTURE
set writes each distinct statement it sends to PostgreSQL, with its parameters
bound as psycopg2 sends them, to <CERTTRACK_SQL_CAPTURE>/<pid>.jsonl: the hot
queries of the real code, for tests/test_query_plans.py to EXPLAIN.

At the driver, not SQLAlchemy's events: some code goes straight to psycopg2's
cursor (transcripts' verification, a prepared statement). A statement run as
`EXECUTE name(...)` is written with the `PREPARE` that made `name`.

The driver is wrapped when the program itself imports it, never earlier: a
service monkey-patches eventlet first.
"""
import importlib.abc
import importlib.util
import json
import os
import re
import sys

FOLDER = os.environ.get("CERTTRACK_SQL_CAPTURE")
# Reads and writes that can choose a plan; a plain INSERT ... VALUES cannot.
PLANNED = re.compile(r"^\s*(SELECT|UPDATE|DELETE|WITH|EXECUTE|INSERT\b.*\b(SELECT|ON CONFLICT)\b)",
                     re.I | re.S)
PREPARE = re.compile(r"^\s*PREPARE\s+(\w+)", re.I)
EXECUTE = re.compile(r"^\s*EXECUTE\s+(\w+)", re.I)
_seen: set = set()
_prepared: dict = {}
_out = []


def _write(cursor, statement, parameters):
    if isinstance(statement, bytes):
        statement = statement.decode()
    if not isinstance(statement, str):  # a psycopg2.sql.Composed
        statement = statement.as_string(cursor)
    named = PREPARE.match(statement)
    if named:
        _prepared[named.group(1)] = statement
        return
    if statement in _seen or not PLANNED.match(statement):
        return
    _seen.add(statement)
    sql = cursor.mogrify(statement, parameters).decode()
    entry = {"database": cursor.connection.info.dbname, "sql": sql}
    executed = EXECUTE.match(statement)
    if executed:
        entry["prepare"] = _prepared.get(executed.group(1))
    if not _out:
        _out.append(open(os.path.join(FOLDER, f"{os.getpid()}.jsonl"), "a", buffering=1))
    _out[0].write(json.dumps(entry) + "\n")


def _capturing(psycopg2):
    base = psycopg2.extensions.cursor

    class CapturingCursor(base):
        def execute(self, statement, parameters=None):
            try:
                _write(self, statement, parameters)
            except Exception:  # capturing never changes what the program does
                pass
            return base.execute(self, statement, parameters)

        def executemany(self, statement, seq):
            seq = list(seq)
            try:
                if seq:
                    _write(self, statement, seq[0])
            except Exception:
                pass
            return base.executemany(self, statement, seq)

    connect = psycopg2.connect

    def capturing_connect(*args, **kwargs):
        kwargs.setdefault("cursor_factory", CapturingCursor)
        return connect(*args, **kwargs)

    psycopg2.connect = capturing_connect


class _WhenDriverImported(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "psycopg2":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module

        def run_and_wrap(module):
            run(module)
            _capturing(module)

        spec.loader.exec_module = run_and_wrap
        return spec


if FOLDER:
    sys.meta_path.insert(0, _WhenDriverImported())
