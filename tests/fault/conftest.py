"""The fault-injection runs' summaries (seed, counts, time, findings) printed at the end of the pytest run, with or
without -s: the closing note of issue 10 quotes them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fault.campaign import Summary

_PRINTED: list[list[str]] = []


@pytest.fixture
def print_summary() -> Callable[[Summary], None]:
    """Keep a run's summary for the terminal summary at the end of the session."""
    return lambda summary: _PRINTED.append(summary.lines())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _PRINTED:
        return
    terminalreporter.section("fault injection")
    for lines in _PRINTED:
        for line in lines:
            terminalreporter.write_line(line)
