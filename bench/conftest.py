"""Collects the ratios and overlaps the benchmarks measure and prints them after the run."""

import pytest

_LINES = pytest.StashKey[list]()


def pytest_configure(config):
    config.stash[_LINES] = []


@pytest.fixture
def report(request):
    """report(line) adds a line to the "gioselect speed" section of the terminal summary."""
    return request.config.stash[_LINES].append


def pytest_terminal_summary(terminalreporter, config):
    lines = config.stash.get(_LINES, [])
    if lines:
        terminalreporter.section("gioselect speed")
        for line in lines:
            terminalreporter.write_line(line)
