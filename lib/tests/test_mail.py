"""Mail goes through the outbox and a real SMTP server (aiosmtpd)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from certtrack_shared.devmail import DevMailbox
from certtrack_shared.mail import MailTemplates, SmtpTransport
from tests.harness.messages import wait_for


def templates(tmp_path: Path) -> MailTemplates:
    (tmp_path / "welcome.subject.txt").write_text("Welcome, {{ first_name }}")
    (tmp_path / "welcome.txt").write_text("Hello {{ first_name }}, go to {{ site_url }}/first-time")
    (tmp_path / "welcome.html").write_text("<p>Hello {{ first_name }}</p>")
    return MailTemplates(str(tmp_path))


def test_template_renders_text_and_escaped_html(tmp_path):
    mail = templates(tmp_path).render("welcome", "a@example.com", first_name="<b>Ann</b>")
    assert mail.subject == "Welcome, <b>Ann</b>"
    assert "Hello <b>Ann</b>" in mail.text
    assert "&lt;b&gt;Ann&lt;/b&gt;" in mail.html


def test_smtp_transport_delivers_and_keeps_a_dev_copy(tmp_path, smtp_server, monkeypatch):
    monkeypatch.setenv("DEV_MAILDIR", str(tmp_path / "devmail"))
    mail = templates(tmp_path).render("welcome", ["ann@example.com"], first_name="Ann")
    SmtpTransport(smtp_server.url, keep_dev_copy=True).send(mail)
    received = wait_for(
        lambda: [m for m in smtp_server.messages() if m["Subject"] == "Welcome, Ann"]
    )
    assert received[0]["To"] == "ann@example.com"
    assert "Hello Ann" in received[0].get_body(("plain",)).get_content()
    kept = DevMailbox(str(tmp_path / "devmail")).messages()
    assert kept[0]["to"] == ["ann@example.com"] and kept[0]["subject"] == "Welcome, Ann"
    assert kept[0]["html"].strip() == "<p>Hello Ann</p>"


def test_mail_in_outbox_is_sent_by_the_relay_after_commit(
    tmp_path, container_factory, sample_config, sample_db, smtp_server
):
    from certtrack_shared.outbox import OutboxWriter

    from sample_service import SampleService

    container = container_factory(SampleService, sample_config)
    container.start()
    mail = templates(tmp_path).render("welcome", "bob@example.com", first_name="Bob")
    with Session(sample_db) as session:
        OutboxWriter(session, "sample").mail(mail)
        session.commit()
    relay = next(p for p in container.dependencies if type(p).__name__ == "Outbox").relay
    relay.kick()
    wait_for(lambda: any(m["Subject"] == "Welcome, Bob" for m in smtp_server.messages()))


def test_the_relay_sends_a_batch_of_mails_over_one_connection(
    tmp_path, container_factory, sample_config, sample_db, smtp_server, monkeypatch
):
    from certtrack_shared.outbox import OutboxWriter

    from sample_service import SampleService

    opened = []
    original = SmtpTransport.open
    monkeypatch.setattr(SmtpTransport, "open", lambda self: opened.append(1) or original(self))
    container = container_factory(SampleService, {**sample_config, "OUTBOX_POLL_SECONDS": 60})
    container.start()
    mails = [templates(tmp_path).render("welcome", f"reader{n}@example.com", first_name=f"Reader{n}")
             for n in range(5)]
    with Session(sample_db) as session:
        for mail in mails:
            OutboxWriter(session, "sample").mail(mail)
        session.commit()
    relay = next(p for p in container.dependencies if type(p).__name__ == "Outbox").relay
    relay.kick()
    wait_for(lambda: {f"Welcome, Reader{n}" for n in range(5)}
             <= {m["Subject"] for m in smtp_server.messages()})
    assert opened == [1]


def test_a_connection_the_server_dropped_is_opened_again_for_the_next_mail(tmp_path, smtp_server):
    transport = SmtpTransport(smtp_server.url, keep_dev_copy=False)
    first, second = (templates(tmp_path).render("welcome", "ann@example.com", first_name=name)
                     for name in ("First", "Second"))
    with transport.connection() as connection:
        connection.send(first)
        connection._smtp.sock.close()  # the server (or the network) went away between two mails
        try:
            connection.send(second)
        except OSError:
            connection.send(second)  # as the relay's next round would
    received = wait_for(lambda: {m["Subject"] for m in smtp_server.messages()}
                        >= {"Welcome, First", "Welcome, Second"})
    assert received
