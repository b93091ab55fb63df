"""The stack as `make run` starts it: ready, mailing, browsable."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect
import requests
from sqlalchemy import create_engine

from certtrack_shared.mail import Mail
from certtrack_shared.tables import outbox_messages
from tests.harness.messages import wait_for


def test_every_service_is_ready_behind_the_gateway(stack):
    assert requests.get(f"{stack.url}/healthz", timeout=5).status_code == 200
    ready = requests.get(f"{stack.url}/readyz", timeout=15)
    assert ready.status_code == 200
    body = ready.text
    for service in ("identity", "exams", "certs", "fulfillment", "transcripts"):
        assert service in body


def test_unknown_api_path_answers_in_the_contract_error_shape(stack):
    response = requests.get(f"{stack.url}/api/v1/no-such-thing", timeout=5)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] and error["message"]
    assert "Traceback" not in response.text


def test_openapi_document_is_served(stack):
    document = requests.get(f"{stack.url}/api/v1/openapi.json", timeout=5).json()
    assert document["openapi"].startswith("3.")
    assert "/healthz" in document["paths"] or "/readyz" in document["paths"]


def _mail_through_a_service_outbox(stack, run_databases, subject):
    """File a mail in the identity service's outbox, as a worker would."""
    mail = Mail(
        mail_id=f"mail-{uuid.uuid4()}", to=["ada@example.com"], subject=subject,
        text="Set your password at http://example.invalid/first-time/abc",
        html="<p>Set your password <a href='http://example.invalid/first-time/abc'>here</a></p>",
    )
    engine = create_engine(run_databases.url("e2e_identity"))
    with engine.begin() as connection:
        connection.execute(outbox_messages.insert().values(
            kind="mail", message_id=mail.mail_id, payload=mail.model_dump(mode="json"),
            created_at=datetime.now(timezone.utc), attempts=0,
        ))
    engine.dispose()


@pytest.mark.browser
def test_person_sees_home_page_and_dev_mailbox(stack, run_databases, page):
    subject = f"Welcome to CertTrack {uuid.uuid4().hex[:6]}"
    _mail_through_a_service_outbox(stack, run_databases, subject)
    wait_for(
        lambda: any(m["subject"] == subject
                    for m in requests.get(f"{stack.url}/dev/mail.json", timeout=5).json()),
        timeout=20, message="the relay to send the mail",
    )

    page.goto(stack.url + "/")
    assert "CertTrack" in page.title()
    expect(page.get_by_role("navigation").get_by_role("link", name="Home")).to_be_visible()

    page.goto(stack.url + "/dev/mail")
    expect(page.get_by_text(subject).first).to_be_visible()
    expect(page.get_by_text("ada@example.com").first).to_be_visible()


def test_dev_mail_json_lists_newest_first(stack, run_databases):
    def mails():
        return requests.get(f"{stack.url}/dev/mail.json", timeout=5).json()

    first, second = f"first {uuid.uuid4().hex[:6]}", f"second {uuid.uuid4().hex[:6]}"
    _mail_through_a_service_outbox(stack, run_databases, first)
    wait_for(lambda: any(m["subject"] == first for m in mails()))
    _mail_through_a_service_outbox(stack, run_databases, second)
    wait_for(lambda: any(m["subject"] == second for m in mails()))
    listed = [m for m in mails() if m["subject"] in (first, second)]
    assert [m["subject"] for m in listed] == [second, first]
    assert set(listed[0]) >= {"to", "subject", "text", "html", "sent_at"}
