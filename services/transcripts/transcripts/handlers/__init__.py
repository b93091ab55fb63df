"""The transcripts rules, as plain functions with explicit dependencies.

Each function takes what it uses — `session` (SQLAlchemy), `outbox`
(`.mail(mail)`), `now` — and the request; none talks to the broker or reads
the system time itself. `transcripts.service` (RPC and events) and
`transcripts.public_web` (public verification over HTTP) hand every
entrypoint to one of them.

- `sharing`: a candidate's transcripts: create, list, edit, deactivate, new access code
- `share_mail`: mailing a transcript to a third party, with a preview
- `projection`: what a transcript shows, kept current from other services' events
- `verification`: the public view of a transcript, with its rate limits
"""
