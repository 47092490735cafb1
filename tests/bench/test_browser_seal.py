"""``bench/browser_seal.py`` at a tiny size, so the bench cannot rot: it
bundles Candor's sealing (lib/attachments.ts) and typage's, seals in
Chromium, checks every way sealed exactly the bytes it announced, and keeps
its report's shape. Rates are printed, never asserted (a shared machine
makes them noise)."""

from __future__ import annotations

import importlib.util
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.browser]


def _load_bench() -> ModuleType:
    path = ROOT / "bench" / "browser_seal.py"
    spec = importlib.util.spec_from_file_location("browser_seal", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["browser_seal"] = module
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


def test_seals_a_tiny_file_both_ways_and_reports(capsys: pytest.CaptureFixture[str]) -> None:
    # A thread of its own: Playwright's sync API refuses to start where another
    # one runs (the browser tests' session-wide Chromium, in the same pytest run).
    with ThreadPoolExecutor(1) as pool:
        results = pool.submit(bench.measure, 3, 1, list(bench.WAYS)).result()
    assert list(results) == list(bench.WAYS)
    for way, runs in results.items():
        (run,) = runs
        # measure() already refuses a way that sealed other than what it announced.
        assert run["sealed"] == run["expected"] > 0, way
        assert run["ms"] > 0 and run["peak"] > 0, way
    plain = 3 * 2**20
    assert results["sha256"][0]["sealed"] == plain
    # age adds a header and a 16-byte tag per 64 KiB chunk; Candor pads first (to a size bucket).
    assert plain < results["typage"][0]["sealed"] <= results["candor"][0]["sealed"]

    figures = bench.report(results, 3)
    out = capsys.readouterr().out
    assert figures["ratio"] == pytest.approx(figures["candor"] / figures["typage"])
    for way in ("candor", "typage", "sha256"):
        assert re.search(rf"^{way} +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+$", out, re.MULTILINE), out
    assert re.search(r"^target >= 90% of typage's rate: (met|NOT met) \(\d+%\)$", out, re.MULTILINE)
    assert re.search(r"^target peak heap < 150 MB: (met|NOT met) \([\d.]+ MB\)$", out, re.MULTILINE)
