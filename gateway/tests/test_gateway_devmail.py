from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from certtrack_shared.devmail import DevMailbox

SENT = datetime(2026, 11, 20, 14, 30, tzinfo=timezone.utc)


def _mail(subject, minutes_later, text, html=None):
    message = EmailMessage()
    message["From"] = "CertTrack <no-reply@certtrack.local>"
    message["To"] = "john.doe@example.com"
    message["Subject"] = subject
    message["Date"] = format_datetime(SENT + timedelta(minutes=minutes_later))
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


@pytest.fixture
def mailbox(app):
    box = DevMailbox(app.config["DEV_MAILDIR"])
    box.keep(_mail("Welcome to CertTrack", 0, "Set your password: http://127.0.0.1:8000/first-time/abc123.\nThanks."))
    box.keep(_mail(
        "Reset your password", 5, "Open http://127.0.0.1:8000/reset-password/def456",
        html='<p><a href="http://127.0.0.1:8000/reset-password/def456">Reset</a> <b>now</b></p>',
    ))
    box.keep(_mail("Your exam result", 2, "You passed <200-301> & more"))
    return box


def test_mail_json_lists_every_mail_newest_first(client, mailbox):
    response = client.get("/dev/mail.json")

    assert response.status_code == 200
    assert [mail["subject"] for mail in response.json] == [
        "Reset your password", "Your exam result", "Welcome to CertTrack",
    ]
    newest = response.json[0]
    assert newest["to"] == ["john.doe@example.com"]
    assert newest["sent_at"] == (SENT + timedelta(minutes=5)).isoformat()
    assert "reset-password/def456" in newest["text"]
    assert "<a href=" in newest["html"]


def test_mail_page_shows_each_mail_newest_first_with_clickable_links(client, mailbox):
    page = client.get("/dev/mail").get_data(as_text=True)

    positions = [page.index(subject) for subject in ("Reset your password", "Your exam result", "Welcome to CertTrack")]
    assert positions == sorted(positions)
    assert "john.doe@example.com" in page
    assert "2026-11-20 14:35:00 UTC" in page
    # The sentence's full stop is not part of the link.
    assert '<a href="http://127.0.0.1:8000/first-time/abc123">' in page
    assert '<a href="http://127.0.0.1:8000/reset-password/def456">' in page


def test_mail_page_escapes_mail_text(client, mailbox):
    page = client.get("/dev/mail").get_data(as_text=True)

    assert "You passed &lt;200-301&gt; &amp; more" in page


def test_mail_page_says_so_when_there_is_no_mail(client):
    page = client.get("/dev/mail").get_data(as_text=True)

    assert "No mail yet" in page


def test_site_pages_point_to_the_mailbox_in_development(client):
    assert 'href="/dev/mail"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("environment", ["production", "test"])
@pytest.mark.parametrize("path", ["/dev/mail", "/dev/mail.json"])
def test_dev_mailbox_does_not_exist_outside_development(make_app, environment, path):
    client = make_app(CERTTRACK_ENV=environment).test_client()

    assert client.get(path).status_code == 404
    assert "/dev/mail" not in client.get("/").get_data(as_text=True)
