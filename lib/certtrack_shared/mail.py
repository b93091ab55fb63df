"""Mail: templates rendered to text and HTML, sent by SMTP after commit.

A service never sends mail inside a worker: `Outbox.add_mail` files the
rendered message in the outbox in the same transaction as the change it
reports, and the relay sends it once committed (so a rolled-back change
mails nobody, and a mail server that is down delays mail but loses none).
In development mode every mail is also kept in the dev mailbox.
"""
from __future__ import annotations

import smtplib
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import urlparse

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel

from certtrack_shared import config
from certtrack_shared.devmail import DevMailbox


class Mail(BaseModel):
    """A rendered mail, as stored in the outbox."""

    mail_id: str
    to: list[str]
    subject: str
    text: str
    html: str


# The layout every service's HTML mail extends (`_layout.html`, `_button.html`),
# so that all CertTrack mail looks the same; a service's own folder may override it.
SHARED_TEMPLATES = str(Path(__file__).with_name("mail_templates"))


class MailTemplates:
    """`<name>.subject.txt`, `<name>.txt` and `<name>.html` in a folder."""

    def __init__(self, folder: str):
        folders = [folder, SHARED_TEMPLATES]
        self.text_env = Environment(loader=FileSystemLoader(folders), undefined=StrictUndefined)
        self.html_env = Environment(
            loader=FileSystemLoader(folders),
            undefined=StrictUndefined,
            autoescape=select_autoescape(["html"]),
        )

    def render(self, name: str, to: list[str] | str, **context) -> Mail:
        context.setdefault("site_url", config.site_url())
        recipients = [to] if isinstance(to, str) else list(to)
        subject = self.text_env.get_template(f"{name}.subject.txt").render(**context).strip()
        return Mail(
            mail_id=f"mail-{uuid.uuid4()}",
            to=recipients,
            subject=subject,
            text=self.text_env.get_template(f"{name}.txt").render(**context),
            html=self.html_env.get_template(f"{name}.html").render(**context),
        )


def build_message(mail: Mail, sender: str, now: datetime,
                  headers: dict | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring=mail.mail_id[-12:], domain="certtrack.local")
    # Sub-second order for the dev mailbox; Date has only seconds.
    message["X-CertTrack-Sent-At"] = now.isoformat()
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


class SmtpTransport:
    """Sends to `SMTP_URL` (smtp://[user:pass@]host:port, or smtps://)."""

    def __init__(self, url: str | None = None, sender: str | None = None, keep_dev_copy=None):
        self.url = urlparse(url or config.smtp_url())
        self.sender = sender or config.mail_from()
        self.keep_dev_copy = config.is_development() if keep_dev_copy is None else keep_dev_copy

    def send(self, mail: Mail, headers: dict | None = None) -> None:
        """`headers`: more mail headers (the correlation id the outbox relay adds)."""
        with self.connection() as connection:
            connection.send(mail, headers)

    @contextmanager
    def connection(self):
        """One SMTP connection for several mails (the relay's batch), opened at
        the first and closed at the end: a connection and its greeting per
        mail cost the relay a quarter of its time (docs/benchmarks.md)."""
        connection = SmtpConnection(self)
        try:
            yield connection
        finally:
            connection.close()

    def open(self) -> smtplib.SMTP:
        smtp_class = smtplib.SMTP_SSL if self.url.scheme == "smtps" else smtplib.SMTP
        smtp = smtp_class(self.url.hostname or "127.0.0.1", self.url.port or 25, timeout=30)
        try:
            if self.url.username:
                smtp.login(self.url.username, self.url.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


class SmtpConnection:
    """Mails sent over one connection, opened when the first is sent."""

    def __init__(self, transport: SmtpTransport):
        self.transport = transport
        self._smtp: smtplib.SMTP | None = None

    def send(self, mail: Mail, headers: dict | None = None) -> None:
        message = build_message(mail, self.transport.sender, datetime.now(timezone.utc), headers)
        if self._smtp is None:
            self._smtp = self.transport.open()
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused:
            raise  # the server said no to this mail and reset; the connection serves the next
        except BaseException:
            self.close()  # in an unknown state: the next mail opens a new one
            raise
        # Kept only once sent, so a retried send files one copy.
        if self.transport.keep_dev_copy:
            DevMailbox(config.dev_maildir()).keep(message)

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None
