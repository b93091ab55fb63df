"""The fulfillment service's mails, rendered from `templates/mail/` and filed
in the outbox (sent by the relay after commit, never from a worker)."""
from __future__ import annotations

from pathlib import Path

from certtrack_shared.mail import MailTemplates

TEMPLATES = MailTemplates(str(Path(__file__).parent / "templates" / "mail"))


def send(outbox, name: str, to: str, **context) -> None:
    outbox.mail(TEMPLATES.render(name, to, **context))
