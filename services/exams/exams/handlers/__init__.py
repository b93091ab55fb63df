"""The exams rules, as plain functions with explicit dependencies.

Each function takes what it uses — `session` (SQLAlchemy), `outbox`
(`.publish(event)`), `now` (the worker's clock reading) — and the request's
fields; none talks to the broker or reads the system time itself, so each
can be tested with a database session and no broker. `exams.service` hands
every entrypoint to one of them.

- `ingestion`: the vendors' registrations, results, corrections and revocations
- `announcements`: the events exams publishes about sittings (used by `ingestion`)
- `history`: a candidate's testing history
- `agreements`: exam agreements (certtrack_shared.agreements over exams' tables)
- `vendor_keys`: the vendors' API keys (staff create and revoke them)
- `vendor_senders`: which broker user may publish which vendor's messages
"""
