"""Figures a slow suite measures (failover times, rates), printed as they come
and listed again at the end of the run: a suite's conftest takes `figures`
and `pytest_terminal_summary` from `suite_figures(prefix)`."""
from __future__ import annotations

import pytest


def suite_figures(prefix: str):
    """(the `figures` fixture, the `pytest_terminal_summary` hook) of one suite."""
    noted: list[str] = []

    @pytest.fixture
    def figures(request):
        """`figures("…")`: a test's figures, printed and listed at the end of the run."""

        def note(line: str) -> None:
            noted.append(f"{request.node.name}: {line}")
            print(f"[{prefix}] {line}")

        return note

    def pytest_terminal_summary(terminalreporter):
        if noted:
            terminalreporter.section(f"{prefix} figures")
            for line in noted:
                terminalreporter.write_line(line)

    return figures, pytest_terminal_summary
