#!/usr/bin/env python3
"""A program's history, bulk-loaded with COPY into the services' databases.

N candidates of the Cisco program (default 1,000,000), each with five
sittings (200-301 failed then passed, 200-901 passed, 350-401 passed,
300-410 failed) and the three certifications they earn (CCNA, DevNet
Associate, Enterprise Core Specialist), written as the services would
have written them after handling every message: identity's candidates and
registrations, exams' registrations, sittings, their changes, claimed
events and sent outbox rows, certs' facts, published standings and kept
evaluations, fulfillment's and transcripts' projections. Then VACUUM
ANALYZE, so the planner sees what it would see in production.

Loaded candidates take the program's first numbers (CSCO10000001 on) and
the candidate-number counter moves past them, so candidates made after the
load (by a benchmark) get new numbers. Loads into migrated, empty
databases; reports rows/s per table.

    .venv/bin/python benchmarks/history_loader.py --candidates 1000000 \
        --database identity=postgresql+psycopg2://postgres@127.0.0.1/identity ...
"""
from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

import psycopg2
import psycopg2.extensions
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
# The shared package, and every service (its rules and numbering; its migrations import its models).
for folder in ("lib", "services/identity", "services/exams", "services/certs", "services/fulfillment",
               "services/transcripts"):
    if str(ROOT / folder) not in sys.path:
        sys.path.append(str(ROOT / folder))

from certs.catalog.loaded import LoadedCatalogs  # noqa: E402
from certs.rules.engine import evaluate  # noqa: E402
from certs.rules.facts import Sitting as SittingFact  # noqa: E402
from identity.handlers.programs import FIRST_NUMBER  # noqa: E402

PROGRAM, PREFIX, VENDOR = "cisco", "CSCO", "pearson_vue"
# (exam code, title, score, passing score, days before the load); five per candidate.
SITTINGS = (
    ("200-301", "Implementing and Administering Cisco Solutions", 790, 825, 700),
    ("200-301", "Implementing and Administering Cisco Solutions", 861, 825, 640),
    ("200-901", "Developing Applications and Automating Workflows using Cisco Platforms", 850, 825, 500),
    ("350-401", "Implementing Cisco Enterprise Network Core Technologies", 880, 825, 300),
    ("300-410", "Implementing Cisco Enterprise Advanced Routing and Services", 700, 825, 100),
)
PER_CANDIDATE = len(SITTINGS)
# Sitting ids in the template evaluation, replaced by each candidate's own in its JSON
# text: numbers no other field of an evaluation can hold.
MARKERS = tuple(str(987654301 + k) for k in range(PER_CANDIDATE))
BATCH = 10_000  # candidates a COPY chunk holds (of kept evaluations: 120 MB)


def candidate_id(index: int) -> str:
    return f"{PREFIX}{FIRST_NUMBER + index:08d}"


def registration_number(sitting_id: int) -> str:
    return f"H{sitting_id:011d}"


class History:
    """Everything the rows of one load share: the moment, the template evaluation."""

    def __init__(self, candidates: int, now: datetime | None = None):
        self.candidates = candidates
        self.now = now or datetime.now(timezone.utc).replace(microsecond=0)
        self.stamp = self.now.isoformat()
        self.taken = [(self.now - timedelta(days=days)).isoformat() for *_, days in SITTINGS]
        catalog = LoadedCatalogs.load().program(PROGRAM)
        evaluation = evaluate(catalog, [
            SittingFact(sitting_id=int(MARKERS[k]), exam_code=code,
                        taken_on=(self.now - timedelta(days=days)).date(), passed=score >= passing)
            for k, (code, _title, score, passing, days) in enumerate(SITTINGS)], as_of=self.now.date())
        self.as_of = evaluation.as_of.isoformat()
        self.evaluation = _copy_text(json.dumps(evaluation.model_dump(mode="json"), separators=(",", ":")))
        self.standings = [s for s in evaluation.certifications if s.status != "in_progress"]
        self.names = {s.id: s.name for s in self.standings}
        self.kits = {c.id: [item.model_dump(mode="json") for item in c.kit] for c in catalog.certifications}

    def sittings(self, index: int) -> range:
        first = index * PER_CANDIDATE + 1
        return range(first, first + PER_CANDIDATE)

    def evaluation_of(self, index: int) -> str:
        text = self.evaluation
        for marker, sitting_id in zip(MARKERS, self.sittings(index)):
            text = text.replace(marker, str(sitting_id))
        return text


def _copy_text(value: str) -> str:
    """A value as COPY's text format reads it (JSON's own backslashes doubled)."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _day(value: date | None) -> str:
    return value.isoformat() if value else r"\N"


# -- rows of each table: (table, columns, rows(history, index) -> lines) ---------------------
def _person(index: int) -> tuple[str, str, str]:
    return "Hist", f"Candidate{index}", f"h{index}@history.example.com"


def identity_tables(h: History):
    def candidates(i):
        first, last, email = _person(i)
        yield f"{candidate_id(i)}\t{PROGRAM}\t{first}\t{last}\t{email}\t0\tvendor\t{h.stamp}\t{h.stamp}\n"

    def registrations(i):
        for sitting_id in h.sittings(i):
            yield f"{sitting_id}\t{VENDOR}\t{registration_number(sitting_id)}\t{candidate_id(i)}\tCandidate{i}\t{h.stamp}\n"

    return [
        ("candidates", "candidate_id, program, first_name, last_name, email, credential_version, source,"
                       " created_at, updated_at", candidates),
        ("registrations", "id, vendor, registration_number, candidate_id, last_name, created_at", registrations),
    ]


def exams_tables(h: History):
    def reported(i):
        first, last, email = _person(i)
        return _copy_text(json.dumps({"candidate_id": candidate_id(i), "first_name": first,
                                      "last_name": last, "email": email}))

    def registrations(i):
        who = reported(i)
        for k, sitting_id in enumerate(h.sittings(i)):
            code, title, *_ = SITTINGS[k]
            yield (f"{sitting_id}\t{VENDOR}\t{registration_number(sitting_id)}\t{PROGRAM}\t{code}\t{title}\t"
                   f"{h.taken[k]}\t{who}\t{candidate_id(i)}\t{h.stamp}\n")

    def sittings(i):
        for k, sitting_id in enumerate(h.sittings(i)):
            code, title, score, passing, _ = SITTINGS[k]
            yield (f"{sitting_id}\t{VENDOR}\t{registration_number(sitting_id)}\t{PROGRAM}\t{candidate_id(i)}\t"
                   f"{code}\t{title}\t{h.taken[k]}\t{score}\t{passing}\t{'pass' if score >= passing else 'fail'}\t"
                   f"TC-88231\tOnline proctored\tUS\tf\t0\t{h.stamp}\t{h.stamp}\n")

    def changes(i):
        for k, sitting_id in enumerate(h.sittings(i)):
            code, _title, score, passing, _ = SITTINGS[k]
            payload = _copy_text(json.dumps({"registration_number": registration_number(sitting_id),
                                             "exam": {"code": code}, "score": score,
                                             "passing_score": passing, "taken_at": h.taken[k]}))
            yield f"{sitting_id}\t{sitting_id}\tresult\tpv-history-{sitting_id}\t{payload}\t{h.stamp}\n"

    def claims(i):
        for sitting_id in h.sittings(i):
            yield f"{sitting_id}\texams.handle_exam_result\tpv-history-{sitting_id}\t{h.stamp}\n"

    def outbox(i):
        for k, sitting_id in enumerate(h.sittings(i)):
            code, title, score, passing, _ = SITTINGS[k]
            kind = "exam_passed" if score >= passing else "exam_failed"
            payload = _copy_text(json.dumps({
                "schema_version": 1, "event_id": f"exams-history-{sitting_id}", "occurred_at": h.stamp,
                "sitting_id": sitting_id, "candidate_id": candidate_id(i), "program": PROGRAM,
                "vendor": VENDOR, "registration_number": registration_number(sitting_id),
                "exam_code": code, "exam_title": title, "taken_at": h.taken[k], "score": score,
                "passing_score": passing}))
            yield (f"{sitting_id}\tevent\texams-history-{sitting_id}\texams.events\t{kind}\t{payload}\t"
                   f"{h.stamp}\t1\t{h.stamp}\n")

    return [
        ("registrations", "id, vendor, registration_number, program, exam_code, exam_title, scheduled_at,"
                          " reported_candidate, candidate_id, updated_at", registrations),
        ("sittings", "id, vendor, registration_number, program, candidate_id, exam_code, exam_title, taken_at,"
                     " score, passing_score, result, test_center_id, test_center_name, test_center_country,"
                     " revoked, corrections, recorded_at, updated_at", sittings),
        ("sitting_changes", "id, sitting_id, kind, event_id, payload, recorded_at", changes),
        ("processed_events", "id, handler, event_id, processed_at", claims),
        ("outbox_messages", "id, kind, message_id, exchange, routing_key, payload, created_at, attempts,"
                            " sent_at", outbox),
    ]


def certs_tables(h: History):
    def candidates(i):
        first, last, email = _person(i)
        yield f"{candidate_id(i)}\t{PROGRAM}\t{first}\t{last}\t{email}\t{h.stamp}\t{h.stamp}\n"

    def sittings(i):
        for k, sitting_id in enumerate(h.sittings(i)):
            code, title, score, passing, _ = SITTINGS[k]
            yield (f"{sitting_id}\t{candidate_id(i)}\t{PROGRAM}\t{code}\t{title}\t{h.taken[k]}\t"
                   f"{'t' if score >= passing else 'f'}\tf\t{h.stamp}\t{h.stamp}\n")

    def standings(i):
        for k, s in enumerate(h.standings):
            yield (f"{i * len(h.standings) + k + 1}\t{candidate_id(i)}\t{PROGRAM}\t{s.id}\t{s.status}\t"
                   f"{_day(s.started_on)}\t{_day(s.active_on)}\t{_day(s.expires_on)}\t1\t"
                   f"{'t' if s.status == 'active' else 'f'}\t{secrets.token_urlsafe(16)}\t{h.stamp}\n")

    def evaluations(i):
        yield f"{candidate_id(i)}\t{PROGRAM}\t{h.as_of}\t{h.evaluation_of(i)}\t{h.stamp}\n"

    def claims(i):
        for k, sitting_id in enumerate(h.sittings(i)):
            kind = "passed" if SITTINGS[k][2] >= SITTINGS[k][3] else "failed"
            yield f"{sitting_id}\tcerts.handle_exam_{kind}\texams-history-{sitting_id}\t{h.stamp}\n"

    return [
        ("candidates", "candidate_id, program, first_name, last_name, email, profile_as_of, updated_at",
         candidates),
        ("sittings", "id, candidate_id, program, exam_code, exam_title, taken_at, passed, revoked,"
                     " result_as_of, updated_at", sittings),
        ("published_standings", "id, candidate_id, program, certification_id, status, started_on, active_on,"
                                " expires_on, revision, ever_achieved, certificate_code, updated_at", standings),
        ("candidate_evaluations", "candidate_id, program, as_of, evaluation, evaluated_at", evaluations),
        ("processed_events", "id, handler, event_id, processed_at", claims),
    ]


def fulfillment_tables(h: History):
    def candidates(i):
        first, last, email = _person(i)
        yield f"{candidate_id(i)}\t{first}\t{last}\t{email}\t{h.stamp}\n"

    kits = {s.id: _copy_text(json.dumps(h.kits.get(s.id, []))) for s in h.standings}

    def certifications(i):
        for s in h.standings:
            yield f"{candidate_id(i)}\t{s.id}\t{s.name}\t{s.status}\t1\t{kits[s.id]}\t{h.stamp}\n"

    return [
        ("candidates", "candidate_id, first_name, last_name, email, updated_at", candidates),
        ("certifications", "candidate_id, certification_id, name, status, revision, kit, updated_at",
         certifications),
    ]


def transcripts_tables(h: History):
    def candidates(i):
        first, last, email = _person(i)
        yield f"{candidate_id(i)}\t{first}\t{last}\t{email}\t{h.stamp}\n"

    def certifications(i):
        for s in h.standings:
            yield (f"{candidate_id(i)}\t{s.id}\t{s.name}\t{PROGRAM}\t{s.status}\t{_day(s.started_on)}\t"
                   f"{_day(s.active_on)}\t{_day(s.expires_on)}\t1\n")

    def sittings(i):
        for k, sitting_id in enumerate(h.sittings(i)):
            code, title, score, passing, _ = SITTINGS[k]
            yield (f"{sitting_id}\t{candidate_id(i)}\t{code}\t{title}\t{h.taken[k]}\t"
                   f"{'pass' if score >= passing else 'fail'}\tf\t{h.stamp}\n")

    return [
        ("candidates", "candidate_id, first_name, last_name, email, as_of", candidates),
        ("certifications", "candidate_id, certification_id, name, program, status, started_on, active_on,"
                           " expires_on, revision", certifications),
        ("sittings", "sitting_id, candidate_id, exam_code, exam_title, taken_at, result, revoked, as_of",
         sittings),
    ]


TABLES: dict[str, Callable[[History], list]] = {
    "identity": identity_tables, "exams": exams_tables, "certs": certs_tables,
    "fulfillment": fulfillment_tables, "transcripts": transcripts_tables,
}
# Sequences behind explicit ids, moved past the loaded rows: (table, column).
SEQUENCES = {
    "identity": [("registrations", "id")],
    "exams": [("registrations", "id"), ("sittings", "id"), ("sitting_changes", "id"),
              ("processed_events", "id"), ("outbox_messages", "id")],
    "certs": [("published_standings", "id"), ("processed_events", "id")],
}


class _Lines:
    """A file-like read() over generated chunks of lines, for COPY FROM STDIN."""

    def __init__(self, chunks: Iterator[str]):
        self._chunks, self._chunk, self._at = chunks, b"", 0

    def read(self, size: int = -1) -> bytes:
        # Slices of the current chunk by offset: a chunk is hundreds of megabytes
        # of kept evaluations, and cutting what remains of it at every read copied it whole.
        while self._at >= len(self._chunk):
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._chunk, self._at = chunk.encode(), 0
        end = len(self._chunk) if size < 0 else self._at + size
        out = self._chunk[self._at:end]
        self._at += len(out)
        return out

    readline = read


def _chunks(history: History, rows, counted: list[int]) -> Iterator[str]:
    for start in range(0, history.candidates, BATCH):
        lines = [line for i in range(start, min(start + BATCH, history.candidates)) for line in rows(i)]
        counted[0] += len(lines)
        yield "".join(lines)


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def load_service(service: str, url: str, history: History, report: Callable[[str], None] = print) -> dict:
    """COPY the service's rows, move its sequences and counters, VACUUM ANALYZE; {table: (rows, seconds)}."""
    figures = {}
    # COPY refuses psycogreen's wait callback, which a process that imported the
    # services' database module (the test suite's) has set for every connection.
    green_wait = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    connection = psycopg2.connect(_dsn(url))
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
            # A kept evaluation is 12 kB of JSON: pglz compressed 10 MB/s of them, lz4 several times that.
            cursor.execute("SET default_toast_compression = lz4")
            for table, columns, rows in TABLES[service](history):
                counted = [0]
                started = time.monotonic()
                cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN",
                                   _Lines(_chunks(history, rows, counted)), size=1 << 20)
                figures[table] = (counted[0], time.monotonic() - started)
                report(f"  {service}.{table}: {counted[0]:,} rows in {figures[table][1]:.1f} s "
                       f"({counted[0] / max(figures[table][1], 1e-9):,.0f} rows/s)")
            for table, column in SEQUENCES.get(service, ()):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                               f" (SELECT coalesce(max({column}), 0) + 1 FROM {table}), false)")
            if service == "identity":
                cursor.execute("UPDATE candidate_id_counters SET next_number = greatest(next_number, %s)"
                               " WHERE program = %s", (FIRST_NUMBER + history.candidates, PROGRAM))
        connection.autocommit = True
        started = time.monotonic()
        with connection.cursor() as cursor:
            # What autovacuum would long have done to a database holding this history:
            # statistics, the visibility map, GIN indexes' pending entries merged.
            cursor.execute("VACUUM ANALYZE")
        figures["VACUUM ANALYZE"] = (0, time.monotonic() - started)
        report(f"  {service}: VACUUM ANALYZE in {figures['VACUUM ANALYZE'][1]:.1f} s")
    finally:
        connection.close()
        psycopg2.extensions.set_wait_callback(green_wait)
    return figures


def load(urls: dict[str, str], candidates: int, report: Callable[[str], None] = print) -> dict:
    """Load the history into each service's database of `urls` (migrated, empty)."""
    history = History(candidates)
    report(f"history: {candidates:,} candidates, {candidates * PER_CANDIDATE:,} sittings")
    return {service: load_service(service, url, history, report)
            for service, url in urls.items() if service in TABLES}


def migrate_and_load(urls: dict[str, str], candidates: int) -> None:
    """For a benchmark's `--history N`: its stack's databases migrated (the stack's
    own migration then finds them at head) and loaded before it starts."""
    from certtrack_shared.migrations import upgrade

    for service, url in urls.items():
        upgrade(service, url)
    started = time.monotonic()
    figures = load(urls, candidates)
    rows = sum(n for tables in figures.values() for n, _ in tables.values())
    print(f"history loaded: {rows:,} rows in {time.monotonic() - started:.1f} s, VACUUM ANALYZE included")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=1_000_000)
    parser.add_argument("--database", action="append", default=[], metavar="SERVICE=URL",
                        help="a migrated, empty database of a service (repeat per service)")
    options = parser.parse_args(argv)
    urls = dict(item.split("=", 1) for item in options.database)
    started = time.monotonic()
    figures = load(urls, options.candidates)
    rows = sum(n for tables in figures.values() for n, _ in tables.values())
    elapsed = time.monotonic() - started
    print(f"loaded {rows:,} rows in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s), VACUUM ANALYZE included")
    return 0


if __name__ == "__main__":
    sys.exit(main())
