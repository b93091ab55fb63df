"""Third-party verification: the transcript as of the moment of viewing.

The most-read path of the system, so it is kept short: on PostgreSQL **one
prepared statement per verification** (one round trip, no planning after
the first few), and nothing but this service's own tables (the projection)
— no RPC to another service, so a slow certs or identity service never slows
a verification. The public web app (transcripts/public_web.py) calls
`verify_transcript` with its connection; it is the only caller (the gateway
passes the public paths on to that app).

The statement (`_verify_statement`) decides, reads and writes:
1. the recent failures for the code and for the client address (the rate
   limits) and the transcript by code with the candidate's name give the
   outcome: too many attempts; not found (unknown code, or the access code's
   SHA-256 does not match the stored one); deactivated; expired; or shown;
2. only when shown, the candidate's certifications and (when the transcript
   shows them) passed exams, one row each;
3. the view is counted when shown (a `transcript_views` row with its time);
   a failure is recorded when not found (and failures older than a day are
   pruned). A wrong access code is answered `TranscriptNotFound`, exactly as
   an unknown code; a deactivated or expired transcript `TranscriptInactive`
   and nothing else, counting no view.
On SQLite (`make run` without PostgreSQL) the writes follow as statements of
their own (`_write`).

`verify_transcript` commits nothing: the caller commits **whatever the
outcome** — also when it raises `TranscriptNotFound`, or the failed attempt
would not count against the rate limits. The web app runs on autocommit
connections (the statement is its own transaction: no BEGIN/COMMIT round
trips).

Live status: a certification still `active` in the projection whose
`expires_on` is today or earlier is shown `expired`, without waiting for the
certs service's expiry event (`expires_on` is the first day no longer active).

Rate limits: wrong (or unknown) access codes, at most `CODE_LIMIT` per
transcript code and `CLIENT_LIMIT` per client address in any `WINDOW`;
beyond either, every attempt — right or wrong — answers `TooManyAttempts`
until the oldest failures age out. With 144-bit codes guessing is hopeless
anyway; the limits keep scanners from costing anything. The price is that
someone holding the public code (not the access code) can block a
transcript's verification for up to `WINDOW`; that is accepted. Concurrent
wrong attempts each see the count before the others' inserts, so a burst
may pass a limit by a few — a few extra guesses at 144 bits, accepted.
"""
from __future__ import annotations

import json
import re
from collections import namedtuple
from datetime import date, datetime, timedelta
from math import ceil

from sqlalchemy import (
    Date, DateTime, Text, and_, bindparam, case, cast, delete, false, func, insert, literal, null, or_, select, true,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.types import NullType

from transcripts.exceptions import TooManyAttempts, TranscriptInactive, TranscriptNotFound
from transcripts.models import AccessFailure, Candidate, Certification, Sitting, Transcript, TranscriptView
from transcripts.handlers.sharing import hash_access_code

WINDOW = timedelta(minutes=15)
CODE_LIMIT = 10
CLIENT_LIMIT = 30
KEEP_FAILURES = timedelta(days=1)
MAX_CODE_LENGTH = 64

_t = Transcript.__table__
_failures = AccessFailure.__table__
_certs = Certification.__table__
_sittings = Sitting.__table__
_candidates = Candidate.__table__
_views = TranscriptView.__table__


def live_status(status: str, expires_on: date | None, today: date) -> str:
    if status == "active" and expires_on is not None and expires_on <= today:
        return "expired"
    return status


def _client(client_address: str | None) -> str:
    return (client_address or "unknown")[:64]


def _verify_statement(dialect_writes: bool):
    """Built once: the decision, the items to show and — with `dialect_writes` (PostgreSQL) —
    its writes, in one statement.

    `decision` (a CTE, evaluated once) holds the failure counts, the transcript by
    code with the candidate's name, and `outcome`, the rules in order:
    `too_many` (either rate limit reached), `not_found` (no such code, or the access
    code's hash does not match), `deactivated`, `expired`, else `shown`. The rows are
    the decision joined with the certifications and (when shown) passed exams, one
    row each — joined only when the outcome is `shown`, so nothing of a candidate is
    read otherwise. On PostgreSQL three data-modifying CTEs do the writes in the same
    statement: the view when `shown`; the failure, and pruning failures older than
    `KEEP_FAILURES`, when `not_found`. Elsewhere `_write` does them after the read.

    The hash is compared by the database: a timing difference could only tell how much
    of the SHA-256 of a guess matches the stored one, which is no help in finding an
    access code (only the hash is stored; codes are 144 random bits).
    """
    since = bindparam("since", type_=DateTime(timezone=True))
    code_failures = (select(func.count()).select_from(_failures)
                     .where(_failures.c.code == bindparam("code"), _failures.c.failed_at > since)
                     .scalar_subquery())
    client_failures = (select(func.count()).select_from(_failures)
                       .where(_failures.c.client_address == bindparam("client"), _failures.c.failed_at > since)
                       .scalar_subquery())
    found = (select(_t.c.id, _t.c.candidate_id, _t.c.access_code_hash, _t.c.valid_through,
                    _t.c.deactivated_at, _t.c.certifications, _t.c.include_expired,
                    _t.c.include_exams, _t.c.show_email, _candidates.c.first_name,
                    _candidates.c.last_name, _candidates.c.email)
             .select_from(_t.outerjoin(_candidates, _candidates.c.candidate_id == _t.c.candidate_id))
             .where(_t.c.code == bindparam("code")).subquery("found"))
    outcome = case(
        (or_(code_failures >= CODE_LIMIT, client_failures >= CLIENT_LIMIT), "too_many"),
        (or_(found.c.id.is_(None), found.c.access_code_hash != bindparam("access_code_hash")), "not_found"),
        (found.c.deactivated_at.is_not(None), "deactivated"),
        (found.c.valid_through < bindparam("today", type_=Date), "expired"),
        else_="shown",
    )
    one = select(literal(1).label("one")).subquery("one")
    # The display choice as its JSON text: it repeats on every row, and the driver would parse
    # it once per row (a fifth of the Python time of a verification); `_view` parses it once.
    decision = (select(outcome.label("outcome"), found.c.id, found.c.candidate_id,
                       cast(found.c.certifications, Text).label("certifications"),
                       found.c.include_expired, found.c.include_exams, found.c.show_email,
                       found.c.first_name, found.c.last_name, found.c.email)
                .select_from(one.outerjoin(found, true())).cte("decision"))
    # Neither branch of the union has a WHERE of its own: PostgreSQL flattens a UNION ALL
    # into the outer query (and so looks each branch up by the join's `candidate_id`, by
    # index) only when no branch has one; a branch with a WHERE stays a subquery read in
    # full — every sitting of every candidate on every view (with 60,000 sittings: 203
    # verifications/s, against 12,100 flattened; docs/decisions/0006-transcripts.md,
    # Speed). So an exam's "passed and not revoked" is part of the join condition.
    items = union_all(
        select(literal("c").label("kind"), _certs.c.candidate_id, _certs.c.certification_id.label("key"),
               _certs.c.name, _certs.c.status, _certs.c.active_on, _certs.c.expires_on,
               cast(null(), DateTime(timezone=True)).label("taken_at"), false().label("revoked")),
        select(literal("e"), _sittings.c.candidate_id, _sittings.c.exam_code, _sittings.c.exam_title,
               _sittings.c.result, cast(null(), Date), cast(null(), Date), _sittings.c.taken_at,
               _sittings.c.revoked),
    ).subquery("items")
    statement = (
        select(decision, items.c.kind, items.c.key, items.c.name, items.c.status, items.c.active_on,
               items.c.expires_on, items.c.taken_at)
        .select_from(decision.outerjoin(items, and_(
            decision.c.outcome == "shown",
            items.c.candidate_id == decision.c.candidate_id,
            or_(items.c.kind == "c",
                and_(decision.c.include_exams.is_(True), items.c.status == "pass", items.c.revoked.is_(False))),
        )))
    )
    if not dialect_writes:
        return statement
    now = bindparam("now", type_=DateTime(timezone=True))
    counted = insert(_views).from_select(
        ["transcript_id", "viewed_at"],
        # `set_config(…, true)` is `SET LOCAL synchronous_commit = off` for this transaction:
        # a view is statistics, visible at once all the same, and at worst a database crash
        # forgets the last fraction of a second of views — a fair price for not waiting on a
        # WAL flush per view.
        select(decision.c.id, now).where(decision.c.outcome == "shown",
                                         func.set_config("synchronous_commit", "off", True) == "off"),
    ).returning(_views.c.id).cte("counted")
    failed = insert(_failures).from_select(
        ["code", "client_address", "failed_at"],
        select(bindparam("code"), bindparam("client"), now).where(decision.c.outcome == "not_found"),
    ).returning(_failures.c.id).cte("failed")
    pruned = delete(_failures).where(
        _failures.c.failed_at < bindparam("forget_before", type_=DateTime(timezone=True)),
        select(decision.c.outcome).scalar_subquery() == "not_found",
    ).returning(_failures.c.id).cte("pruned")
    return statement.add_cte(counted, failed, pruned)


class Prepared:
    """A Core statement run as a PostgreSQL prepared statement of each connection.

    Planning the read cost more than running it (about 0.5 ms against 0.3 ms,
    measured with EXPLAIN ANALYZE): prepared once per connection, PostgreSQL
    plans it a few times and then keeps a generic plan. The SQL is the Core
    statement's own, compiled once, its `%(name)s` placeholders turned into
    `$n`; on another database (SQLite under `make run`) the Core statement
    runs as it is.
    """

    def __init__(self, name: str, statement):
        self.name, self.statement = name, statement
        self._compiled_for = None
        self._row = None

    def _compile(self, dialect) -> None:
        compiled = self.statement.compile(dialect=dialect)
        fixed = compiled.construct_params(_check=False)
        order: list[str] = []

        def placeholder(match) -> str:
            name = match.group(1)
            if fixed.get(name) is not None:  # a constant of the statement: written in
                return _sql_literal(fixed[name])
            if name not in order:
                order.append(name)
            return f"${order.index(name) + 1}"

        body = re.sub(r"%\((\w+)\)s", placeholder, compiled.string)
        types = [_sql_type(compiled.binds[name].type, dialect) for name in order]
        self._prepare = f"PREPARE {self.name} ({', '.join(types)}) AS {body}"
        self._execute = f"EXECUTE {self.name}(" + ", ".join(f"%({name})s" for name in order) + ")"
        self._compiled_for = dialect

    def execute(self, connection: Connection, parameters: dict) -> list:
        """The statement's rows (attribute access by column name)."""
        if connection.dialect.name != "postgresql":
            result = connection.execute(self.statement, parameters)
            return result.all() if result.returns_rows else []
        if self._compiled_for is not connection.dialect:
            self._compile(connection.dialect)
        # Straight to the driver's cursor: SQLAlchemy's result machinery cost about as much
        # as the database's work here, and psycopg2 already converts every type involved.
        with connection.connection.cursor() as cursor:
            # `info` lives as long as the database connection itself, across pool checkouts.
            prepared = connection.info.setdefault("transcripts.prepared", set())
            if self.name not in prepared:
                cursor.execute(self._prepare)
                prepared.add(self.name)
            cursor.execute(self._execute, parameters)
            if cursor.description is None:
                return []
            if self._row is None:
                self._row = namedtuple("Row", [column.name for column in cursor.description], rename=True)
            return [self._row._make(values) for values in cursor.fetchall()]


def _sql_literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _sql_type(type_, dialect) -> str:
    return "text" if isinstance(type_, NullType) else dialect.type_compiler_instance.process(type_)


# PostgreSQL: one prepared statement decides, reads and writes. Elsewhere: the read, then `_write`.
_VERIFY = Prepared("transcripts_verify", _verify_statement(dialect_writes=True))
_VERIFY_READ = _verify_statement(dialect_writes=False)


def verify_transcript(connection: Connection, code: str, access_code: str, client_address: str | None,
                      now: datetime) -> dict:
    """CONTRACTS.md §5's view of the transcript `code`, counted; the caller commits in every case.

    A plain dict, ready for JSON (see `_view`)."""
    code = code if isinstance(code, str) else ""
    access_code = access_code if isinstance(access_code, str) else ""
    client = _client(client_address)
    well_formed = bool(access_code) and len(code) <= MAX_CODE_LENGTH and len(access_code) <= MAX_CODE_LENGTH
    parameters = {
        "code": code[:MAX_CODE_LENGTH], "client": client, "since": now - WINDOW, "today": now.date(),
        # A malformed access code matches no hash: answered and recorded like a wrong one.
        "access_code_hash": hash_access_code(access_code) if well_formed else "",
        "now": now, "forget_before": now - KEEP_FAILURES,
    }
    if connection.dialect.name == "postgresql":
        rows = _VERIFY.execute(connection, parameters)
    else:
        rows = connection.execute(_VERIFY_READ, parameters).all()
        _write(connection, rows[0], parameters)
    decision = rows[0]
    if decision.outcome == "too_many":
        raise TooManyAttempts({"retry_after_seconds": _retry_after(connection, code, client, now)})
    if decision.outcome == "not_found":
        raise TranscriptNotFound()
    if decision.outcome in ("deactivated", "expired"):
        raise TranscriptInactive({"state": decision.outcome})
    return _view(decision, [item for item in rows if item.kind is not None], now)


def _write(connection: Connection, decision, parameters: dict) -> None:
    """What the PostgreSQL statement's CTEs do, as statements of their own (SQLite)."""
    if decision.outcome == "shown":
        connection.execute(insert(_views).values(transcript_id=decision.id, viewed_at=parameters["now"]))
    elif decision.outcome == "not_found":
        connection.execute(delete(_failures).where(_failures.c.failed_at < parameters["forget_before"]))
        connection.execute(insert(_failures).values(code=parameters["code"], client_address=parameters["client"],
                                                    failed_at=parameters["now"]))


def _view(transcript, items, now: datetime) -> dict:
    """The transcript as CONTRACTS.md §5 shows it, already in its JSON form: exactly
    `schemas.VerifiedTranscript` dumped with `exclude_unset` (`candidate.email` and
    `exams` absent, not null, unless the display options show them; dates ISO, times
    ISO with `Z` for UTC, as pydantic writes them — a test holds the two equal).

    Plain dicts rather than the pydantic models: building and dumping seven models
    was a third of the Python time of a verification, on the hottest path of the
    system, for data that the statement already gives in the right types.
    """
    today = now.date()
    known = transcript.first_name is not None  # identity's event may not have arrived yet
    candidate = {"name": f"{transcript.first_name} {transcript.last_name}".strip() if known else ""}
    if transcript.show_email and known:
        candidate["email"] = transcript.email

    chosen = transcript.certifications
    chosen = json.loads(chosen) if isinstance(chosen, str) else chosen  # JSON text (see the statement)
    wanted = None if chosen == "all_active" else {cert_id: index for index, cert_id in enumerate(chosen)}
    shown, exams = [], []
    for row in items:
        if row.kind == "e":
            exams.append((row.taken_at, {"exam_code": row.key, "exam_title": row.name,
                                         "taken_at": _moment(row.taken_at), "result": "pass"}))
            continue
        if wanted is not None and row.key not in wanted:
            continue
        status = live_status(row.status, row.expires_on, today)
        if status == "in_progress":
            continue
        if status in ("expired", "revoked") and not transcript.include_expired:
            continue
        shown.append({"id": row.key, "name": row.name, "status": status, "active_on": _day(row.active_on),
                      "expires_on": _day(row.expires_on)})
    # A chosen list keeps the candidate's order; "all active" goes by name.
    shown.sort(key=(lambda cert: wanted[cert["id"]]) if wanted is not None else (lambda cert: cert["name"]))

    verified = {"candidate": candidate, "certifications": shown}
    if transcript.include_exams:
        verified["exams"] = [exam for _, exam in sorted(exams, key=lambda pair: pair[0], reverse=True)]
    verified["generated_at"] = _moment(now)
    return verified


def _day(value) -> str | None:
    """A date as pydantic writes it (`2026-12-01`); the projection's are dates already (also on
    SQLite, where SQLAlchemy's Date type converts them)."""
    return value.isoformat() if value is not None else None


def _moment(value: datetime) -> str:
    """A time as pydantic writes it: ISO 8601, `Z` for UTC (`2026-12-01T11:42:00.123456Z`)."""
    written = value.isoformat()
    return written[:-6] + "Z" if written.endswith("+00:00") else written


def _retry_after(connection: Connection, code: str, client: str, now: datetime) -> int:
    """Seconds until both limits allow another attempt."""
    waits = [1]
    for column, value, limit in ((_failures.c.code, code[:MAX_CODE_LENGTH], CODE_LIMIT),
                                 (_failures.c.client_address, client, CLIENT_LIMIT)):
        times = connection.execute(
            select(_failures.c.failed_at).where(and_(column == value, _failures.c.failed_at > now - WINDOW))
            .order_by(_failures.c.failed_at)
        ).scalars().all()
        if len(times) >= limit:
            waits.append(ceil((times[len(times) - limit] + WINDOW - now).total_seconds()))
    return max(waits)
