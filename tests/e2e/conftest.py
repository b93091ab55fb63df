from __future__ import annotations

import pytest

from certtrack_shared.config import SERVICES
from tests.e2e.stack import Stack


@pytest.fixture(scope="session")
def stack(amqp_uri, run_databases, tmp_path_factory):
    urls = {service: run_databases.url(f"e2e_{service}") for service in SERVICES}
    running = Stack(amqp_uri, urls, tmp_path_factory.mktemp("stack")).start()
    yield running
    running.stop()


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # A click does not wait for the page it leads to: the tests wait for what
    # they expect to see (expect(...).to_be_visible()), with room for a
    # machine busy running the rest of the suite.
    expect.set_options(timeout=15_000)

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    opened = context.new_page()
    yield opened
    context.close()
