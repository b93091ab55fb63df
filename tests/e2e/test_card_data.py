"""Card data never reaches CertTrack (issue 13; docs/decisions/0017).

In headless Chromium, a candidate pays for a kit: a declined test card is
refused in plain words, then the 4242 test card pays. The page hands the card
to the payment sandbox from the browser and submits only its `pm_…` token, so
the card number and the CVC appear in no request the gateway receives, no RPC
or event on the broker, no table of any CertTrack database and no file the
stack wrote (logs, mail, the sandbox's own ledger and log included).
"""
from __future__ import annotations

import json
import re
import uuid
from urllib.parse import unquote_plus

import pytest
from kombu import Connection, Queue
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from certtrack_shared.config import SERVICES
from certtrack_shared.topology import EXTERNAL_EXCHANGES, RPC_EXCHANGE, SERVICE_EXCHANGES
from tests.e2e.test_fulfillment import candidate_with_a_ccna_kit, log_in
from tests.harness.messages import capture_queue, drain

NUMBER = re.compile(r"4242[\s+-]*4242[\s+-]*4242[\s+-]*4242")
DECLINED_NUMBER = re.compile(r"4000[\s+-]*0000[\s+-]*0000[\s+-]*0002")
CVC = "987"
# The CVC as a value (quoted, or after `=` or a cvc field's name); a bare 987 also ends many a
# log line's milliseconds.
LONE_CVC = re.compile(rf"""(?:["'=]|\bcvc\W{{1,4}}){CVC}(?![0-9A-Za-z])""", re.I)


def secrets_in(label: str, content: str) -> list[str]:
    """Where the card's number, the declined card's number or the CVC shows in `content`."""
    found = [f"{label}: {name}" for name, pattern in (("card number", NUMBER), ("declined number", DECLINED_NUMBER),
                                                      ("CVC", LONE_CVC)) if pattern.search(content)]
    if re.search(r"\bcvc\b", content, re.I):
        found.append(f"{label}: a cvc field")
    return found


def database_dump(run_databases) -> str:
    rows = []
    for service in SERVICES:
        engine = create_engine(run_databases.url(f"e2e_{service}"))
        try:
            with engine.connect() as connection:
                for table in connection.execute(text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars():
                    rows.extend(f"{service}.{table} {tuple(row)}"
                                for row in connection.execute(text(f'SELECT * FROM "{table}"')))
        finally:
            engine.dispose()
    return "\n".join(rows)


def delete_queue(amqp_uri, name) -> None:
    with Connection(amqp_uri) as connection:
        Queue(name, no_declare=True)(connection.default_channel).delete()


@pytest.mark.browser
@pytest.mark.slow
def test_the_card_goes_only_to_the_payment_sandbox_and_a_token_pays(stack, amqp_uri, run_databases, page):
    candidate_id = candidate_with_a_ccna_kit(stack, amqp_uri, f"grace.{uuid.uuid4().hex[:10]}@example.com")
    # A copy of every RPC request and reply, and of every event, from here on.
    copies = [capture_queue(amqp_uri, exchange, "#")
              for exchange in (RPC_EXCHANGE, *EXTERNAL_EXCHANGES, *SERVICE_EXCHANGES)]
    sent = []
    page.on("request", lambda request: sent.append((request.url, request.method, request.post_data or "")))

    log_in(stack, page, candidate_id)
    page.goto(f"{stack.url}/certificates/claim")
    page.get_by_role("button", name="Continue to shipping address").click()
    page.get_by_label("Address line 1").fill("1 Main St")
    page.get_by_label("City").fill("San Jose")
    page.get_by_label("State / province / region").fill("CA")
    page.get_by_label("Postal code").fill("95134")
    page.get_by_label("Country").select_option("US")
    page.get_by_role("button", name="Continue to shipping").click()
    page.get_by_label(re.compile("Tracked shipping")).check()
    page.get_by_role("button", name="Continue to review").click()

    # A mistyped number never leaves the page as a token: the processor says what is wrong.
    page.get_by_label("Card number").fill("4242 4242 4242 4241")
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("Security code (CVC)").fill(CVC)
    page.get_by_role("button", name="Confirm order").click()
    expect(page.get_by_role("alert")).to_contain_text("Your card number is incorrect")

    # A declined test card: a clear message, no order.
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_role("button", name="Confirm order").click()
    expect(page.get_by_role("alert")).to_contain_text("Your card was declined")
    expect(page.get_by_role("alert")).to_contain_text("No order was placed and nothing was charged")
    assert page.get_by_label("Card number").input_value() == ""

    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("Security code (CVC)").fill(CVC)
    page.get_by_role("button", name="Confirm order").click()
    page.wait_for_url(re.compile(r".*/certificates/orders/ORD-\d{4}-\d{6}/confirmation"))
    assert [row[1:] for row in stack.payment_sandbox.charges(candidate_id)] == [(1500, "visa", "4242", 0)]

    # The browser sent the card to the sandbox, and only a token to CertTrack.
    to_sandbox = [body for url, method, body in sent if url.startswith(stack.payment_sandbox.url) and body]
    assert any(NUMBER.search(body) and f'"cvc":"{CVC}"' in body for body in to_sandbox)
    to_gateway = [(url, unquote_plus(body)) for url, method, body in sent if url.startswith(stack.url)]
    confirms = [body for url, body in to_gateway if url.endswith("/certificates/claim/confirm")]
    assert len(confirms) == 2 and all(re.search(r"payment_method=pm_[A-Za-z0-9_]+", body) for body in confirms)
    problems = [found for url, body in to_gateway for found in secrets_in(f"request to {url}", url + body)]

    # Nothing on the broker: the RPC that placed the order carried the token.
    messages = [message for queue in copies for message in drain(amqp_uri, queue, quiet_seconds=2)]
    for queue in copies:
        delete_queue(amqp_uri, queue)
    bodies = [message["body"].decode("utf-8", "replace") for message in messages]
    placed = [json.loads(body) for body in bodies if '"payment_method"' in body]
    assert any(str(call.get("kwargs", {}).get("payment_method", "")).startswith("pm_") for call in placed), bodies
    problems += [found for body in bodies for found in secrets_in("a broker message", body)]

    # Nothing in any CertTrack table, nor in any file the stack wrote.
    problems += secrets_in("a CertTrack table", database_dump(run_databases))
    for path in sorted(p for p in stack.folder.rglob("*") if p.is_file()):
        problems += secrets_in(str(path.relative_to(stack.folder)), path.read_bytes().decode("utf-8", "replace"))
    assert problems == []
