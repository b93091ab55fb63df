"""The identity service's mails, rendered from `templates/mail/` and filed
in the outbox (never sent from a worker directly).

Each template gets `site_url` (from `SITE_URL`) and builds its links from it.
"""
from __future__ import annotations

from pathlib import Path

from certtrack_shared.mail import MailTemplates

from identity.handlers.programs import get_program

TEMPLATES = MailTemplates(str(Path(__file__).parent / "templates" / "mail"))


def send(outbox, name: str, to: str, **context) -> None:
    """Render mail `name` for `to` and add it to the worker's outbox."""
    outbox.mail(TEMPLATES.render(name, to, **context))


def candidate_context(candidate) -> dict:
    program = get_program(candidate.program)
    return {
        "first_name": candidate.first_name,
        "last_name": candidate.last_name,
        "candidate_id": candidate.candidate_id,
        "program_name": program.name if program else candidate.program,
    }
