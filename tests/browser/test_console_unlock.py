"""The console unlocks without freezing (issue 14): scrypt at 2^18 runs in
a Web Worker (frontend/src/workers/scrypt.ts) under the pages' strict CSP
and Trusted Types, a bar shows its progress, and the page's main thread
keeps running timers throughout."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_console import member, origin

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Records, while the unlock runs, when a 10 ms timer fired and what the
# progress bar showed; a blocked main thread leaves a gap as long as scrypt.
PROBE = """() => {
  window.probe = { ticks: [], progress: [] };
  window.probe.timer = setInterval(() => {
    window.probe.ticks.push(performance.now());
    const bar = document.getElementById("unlock-progress");
    if (bar && !bar.hidden && bar.hasAttribute("value")) window.probe.progress.push(bar.value);
  }, 10);
}"""
RESULT = """() => {
  clearInterval(window.probe.timer);
  const t = window.probe.ticks;
  const gaps = t.slice(1).map((x, i) => x - t[i]);
  return { ticks: t.length, maxGap: Math.max(...gaps), span: t[t.length - 1] - t[0],
           progress: window.probe.progress };
}"""
# A 2-core machine shared with other work: the worker competes for a core,
# but a main thread blocked by scrypt would stall for its whole ~1 s or more.
MAX_GAP_MS = 250


def test_unlock_keeps_the_page_responsive_and_shows_progress(
    live_server: Any, make_page: Any
) -> None:
    grace = member(live_server, "Grace")
    page, _watch = make_page(origin(live_server))
    page.goto(origin(live_server) + "/console/")
    page.wait_for_selector("#unlock-form")
    page.set_input_files("#keyfile", str(grace.keyfile_path))
    page.fill("#passphrase", grace.passphrase)
    page.evaluate(PROBE)
    page.click("#unlock")
    page.wait_for_selector("#view-inbox:not([hidden])", timeout=90000)
    seen = page.evaluate(RESULT)
    print(
        f"unlock: {seen['ticks']} timer ticks over {seen['span']:.0f} ms, "
        f"longest gap {seen['maxGap']:.0f} ms, {len(set(seen['progress']))} progress values"
    )
    partial = {v for v in seen["progress"] if 0 < v < 100}
    assert len(partial) >= 5, f"progress not shown while deriving: {seen['progress'][:20]}"
    assert seen["maxGap"] < MAX_GAP_MS, f"main thread blocked for {seen['maxGap']:.0f} ms"
    assert page.is_hidden("#unlock-progress")
    # The worker ran from the hashed script beside the page bundles.
    assert any("/assets/scrypt-" in r for r in _watch.requests)


def test_wrong_passphrase_in_the_worker_says_so(live_server: Any, make_page: Any) -> None:
    grace = member(live_server, "Grace")
    page, _watch = make_page(origin(live_server))
    page.goto(origin(live_server) + "/console/")
    page.wait_for_selector("#unlock-form")
    page.set_input_files("#keyfile", str(grace.keyfile_path))
    page.fill("#passphrase", grace.passphrase + "x")
    page.click("#unlock")
    page.wait_for_selector("#unlock-error:not([hidden])", timeout=60000)
    assert "does not open" in page.inner_text("#unlock-error")
    assert any("/assets/scrypt-" in r for r in _watch.requests)


def test_a_browser_that_refuses_the_worker_still_unlocks(live_server: Any, make_page: Any) -> None:
    # The worker script cannot load: the console derives on its own thread
    # with typage's scrypt (frozen meanwhile, as before workers) and opens.
    grace = member(live_server, "Grace")
    page, _watch = make_page(origin(live_server))
    refused: list[str] = []

    def refuse(route: Any) -> None:
        refused.append(route.request.url)
        route.abort()

    page.route("**/assets/scrypt-*.js", refuse)
    page.goto(origin(live_server) + "/console/")
    page.wait_for_selector("#unlock-form")
    page.set_input_files("#keyfile", str(grace.keyfile_path))
    page.fill("#passphrase", grace.passphrase)
    page.click("#unlock")
    page.wait_for_selector("#view-inbox:not([hidden])", timeout=90000)
    assert page.is_hidden("#unlock-error")
    assert len(refused) == 1
