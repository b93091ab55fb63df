"""The identity rules, as plain functions with explicit dependencies.

Every function takes its dependencies first — `session` (SQLAlchemy),
`outbox` (`.publish(event)`, `.mail(mail)`), `clock` (returns aware UTC
now), `hasher` (passwords), `documents` (document store), only those it
uses — and the request's fields by keyword. None of them
talks to the broker, sends mail or reads the system time itself, so each can
be tested with a database session and fakes.

- `candidates`: candidate IDs, creation, matching the candidates vendors report
- `login`: password login, SSO lookup
- `first_time`: first-time login by email or score report, link tokens
- `recovery`: forgotten password and candidate ID
- `profile`: personal information, email confirmation, linked identities
- `tickets`: name-change tickets and staff decisions
- `staff`: staff accounts, login and candidate search
- `notices`: mails on other services' news (exam results available)
- `second_factor`, `staff_accounts`, `staff_audit`: staff sign-in's second factor, accounts, audit log
- `reference`: the countries and languages a profile is checked against

Shared by those: `common` (lookups), `passwords` (hashing and the password
rules), `tokens` (mailed link tokens), `ratelimit` (login and mail limits),
`programs` (the programs and their candidate ID prefixes).
"""
