"""A test run that skipped something has not shown it works (issue 14).

Loaded by tests/conftest.py and tests/infra/conftest.py. Every skip, of a
test or of a whole module at collection (``importorskip``, a module-level
``pytest.skip``), is counted; the run ends with that count and fails when
a skip's reason is not in ALLOWED. Deselecting (``-m``, ``-k``) and
``--ignore`` are choices of the command, not skips, and are not counted;
an ``xfail(strict=True)`` is an expected failure that is checked, and is
counted apart. Under pytest-xdist the controller sees every worker's
reports and decides alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

# reason pattern (a regular expression searched in the skip's reason) ->
# why such a skip proves nothing is missing. Empty today: every tool the
# tests need is installed by .ci/tools, or the run stops before it starts.
ALLOWED: dict[str, str] = {}


def allowed_by(reason: str, allowed: dict[str, str]) -> str | None:
    """The pattern of `allowed` that lets a skip with `reason` pass, if any."""
    return next((pattern for pattern in allowed if re.search(pattern, reason)), None)


@dataclass
class Skip:
    where: str
    reason: str
    allowed_by: str | None


@dataclass
class Tally:
    skips: list[Skip] = field(default_factory=list)
    xfailed: int = 0

    @property
    def refused(self) -> list[Skip]:
        return [s for s in self.skips if s.allowed_by is None]


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The text pytest gives a skip: longrepr is (path, line, "Skipped: why")."""
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ")


class SkipCheck:
    """Counts skips on the process that reports the run (not an xdist worker)."""

    def __init__(self) -> None:
        self.tally = Tally()

    def _record(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        if not report.skipped:
            return
        if hasattr(report, "wasxfail"):
            self.tally.xfailed += 1
            return
        reason = _reason(report)
        self.tally.skips.append(Skip(report.nodeid or ".", reason, allowed_by(reason, ALLOWED)))

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._record(report)

    @pytest.hookimpl(trylast=True)
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self._record(report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.tally.refused and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        tally, write = self.tally, terminalreporter.write_line
        refused = tally.refused
        terminalreporter.section("skips")
        for skip in tally.skips:
            verdict = f"allowed by {skip.allowed_by!r}" if skip.allowed_by else "NOT ALLOWED"
            write(f"{verdict}: {skip.where}: {skip.reason}")
        write(
            f"skipped: {len(tally.skips)} ({len(tally.skips) - len(refused)} allowed, "
            f"{len(refused)} not allowed); xfailed (strict, expected): {tally.xfailed}"
        )
        if refused:
            write(
                "FAILED: a test was skipped for a reason not allowed in tests/support/skips.py "
                "ALLOWED; install what it needs (.ci/tools) or fix the test",
                red=True,
                bold=True,
            )


def pytest_configure(config: pytest.Config) -> None:
    # An xdist worker's reports reach the controller, which counts them once.
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(SkipCheck(), "candor-skip-check")
