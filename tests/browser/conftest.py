"""Browser fixtures for the reporter pages: Debian's chromium driven by
Playwright, a recorder that fails on any request to another origin, console
error capture, storage checks, axe-core and screenshots.

The pages are built with frontend/build.mjs for the test team and served,
with the API, by `candor serve` (the `live_server` fixture of
tests/conftest.py)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

try:
    import playwright.sync_api as playwright_sync
except ImportError as missing:  # a run without the browser tests proves nothing (issue 14)
    raise ImportError(
        "the browser tests need playwright (a dev dependency): run "
        "`.venv/bin/python -m pip install -e '.[dev]'` or `make deps`"
    ) from missing

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def node(*args: str) -> str:
    return subprocess.run(
        ["node", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which("node") is None:
        pytest.fail(
            f"the browser tests need Debian's chromium ({CHROMIUM}) and node: run `.ci/tools`"
        )
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Watch:
    """What a page did: requests, console errors, CSP violations."""

    origin: str
    requests: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)
    # Set when the test itself has ended: fixtures then stop servers (maybe
    # before the pages close), and a page's next request failing then says
    # nothing about the pages.
    ended: bool = False

    def expect_error(self, text: str) -> None:
        """Allow one console error containing `text` (Chromium logs every HTTP
        error answer, e.g. the 404 that refuses a retired receipt)."""
        self.expected.append(text)

    def check(self) -> None:
        assert self.foreign == [], f"requests to other origins: {self.foreign}"
        unexpected = list(self.console_errors)
        for text in self.expected:
            match = next((e for e in unexpected if text in e), None)
            assert match is not None, f"expected console error not seen: {text}"
            unexpected.remove(match)
        assert unexpected == [], f"console errors: {unexpected}"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def watch_page(context: Any, origin: str) -> Watch:
    watch = Watch(origin)

    def on_request(request: Any) -> None:
        url = request.url
        watch.requests.append(f"{request.method} {url}")
        if not url.startswith(("blob:", "data:")) and origin_of(url) != origin:
            watch.foreign.append(url)

    context.on("request", on_request)

    def on_console(message: Any) -> None:
        # A site with no signed release answers 404 for release.json, which
        # the reporter page asks for on load (docs/verify.md); Chromium logs it.
        no_release = message.location.get("url", "").endswith("/release.json") and \
            "status of 404" in message.text
        if message.type == "error" and not no_release and not watch.ended:
            watch.console_errors.append(message.text)

    def on_page_error(error: Any) -> None:
        if not watch.ended:
            watch.console_errors.append(f"pageerror: {error}")

    def on_page(page: Any) -> None:
        page.on("console", on_console)
        page.on("pageerror", on_page_error)

    context.on("page", on_page)
    return watch


_WATCHES: list[Watch] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: Any) -> None:
    """Before any fixture is torn down (a live server may go before the
    pages close), stop counting the pages' console errors."""
    for watch in _WATCHES:
        watch.ended = True
    _WATCHES.clear()


@pytest.fixture
def make_page(browser: Any) -> Iterator[Any]:
    """make_page(origin, viewport="desktop", locale="en-US") → (page, watch)."""
    contexts: list[tuple[Any, Watch]] = []

    def make(origin: str, viewport: str = "desktop", locale: str = "en-US") -> tuple[Any, Watch]:
        context = browser.new_context(
            viewport=VIEWPORTS[viewport],
            locale=locale,
            accept_downloads=True,
            service_workers="block",
        )
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
        watch = watch_page(context, origin)
        _WATCHES.append(watch)
        page = context.new_page()
        contexts.append((context, watch))
        return page, watch

    yield make
    for context, watch in contexts:
        for page in context.pages:
            assert_no_storage(page)
        assert context.cookies() == [], "cookies were set"
        context.close()
        watch.check()


def assert_no_storage(page: Any) -> None:
    """No cookie, Web Storage or IndexedDB entry (protocol §1, §6)."""
    if page.url.startswith("about:"):
        return
    state = page.evaluate(
        """async () => ({
            cookie: document.cookie,
            local: localStorage.length,
            session: sessionStorage.length,
            idb: (await indexedDB.databases()).length,
        })"""
    )
    assert state == {"cookie": "", "local": 0, "session": 0, "idb": 0}, state


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the current page state.

    axe is evaluated through the DevTools protocol rather than with
    `page.add_script_tag`: the pages' CSP (Trusted Types, no inline script)
    rightly refuses an injected inline <script>, and the test must not
    weaken the CSP it checks."""
    source = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text()
    page.evaluate("(src) => { if (!window.axe) (0, eval)(src); }", source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
