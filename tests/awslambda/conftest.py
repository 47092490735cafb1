"""Prints what the packaged-Lambda tests measured at the end of the run
(their ``record_property`` values named ``lambda:...``), also under xdist."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = dict.fromkeys([
        f"{name.removeprefix('lambda:')}: {value}"
        for report in terminalreporter.stats.get("passed", [])
        for name, value in getattr(report, "user_properties", [])
        if name.startswith("lambda:")
    ])  # each once: several tests report the same package
    if lines:
        terminalreporter.write_sep("-", "packaged Lambda")
        for line in lines:
            terminalreporter.write_line(line)
