"""Browser fixtures of the end-to-end tests (the `stack` fixture is in tests/conftest.py)."""
from __future__ import annotations

import pytest


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
