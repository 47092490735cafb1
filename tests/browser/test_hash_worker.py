"""The SHA-256 of a sealed attachment (protocol §2.2) is computed in the
"hash" worker (frontend/src/workers/hash.ts, WebAssembly) beside the
sealing, in Chromium, under the headers `candor serve` gives the built
pages and that worker's script (frontend/headers.json, paths): the hash the
page lists is Python's hashlib over the sealed blob, and the blob opens with
the Python twin. When the worker may not compile its WebAssembly, the page
hashes itself, to the same hash."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from candor import documents, keyfile
from candor.release import headers_for
from chalicelib.age.recipient_types import X25519
from tests.support.live import LiveServer, start_live_server
from tests.support.team import make_team

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PART = 1 << 20
HARNESS = """
import { openSealer, PartCutter } from "./frontend/src/lib/attachments.ts";
import { sealedHasher } from "./frontend/src/lib/hash-stream.ts";

const fromB64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const toB64 = (bytes) => {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
};

window.sealHere = async (plain, recipient, partSize) => {
  const hasher = sealedHasher();
  const sealer = await openSealer(new Blob([fromB64(plain)]), [recipient]);
  const cutter = new PartCutter(sealer, partSize, hasher);
  const parts = [];
  for (let part = await cutter.next(); part; part = await cutter.next()) parts.push(part);
  const sealed = new Uint8Array(await new Blob(parts).arrayBuffer());
  const sha256 = await cutter.sha256();
  return { sealed: toB64(sealed), sha256, where: await hasher.where, parts: parts.length };
};
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_live_server(tmp_path_factory.mktemp("hash-worker"), make_team())
    try:
        yield live
    finally:
        live.stop()


def harness(server: LiveServer) -> str:
    """The lib's sealing, bundled as the pages are, naming the built hash worker."""
    [worker] = [p.name for p in (server.site_dir / "assets").glob("hash-*.js")]
    out = subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "esbuild"), "--bundle", "--format=esm",
         "--platform=browser", "--target=es2022", "--loader=ts", "--log-level=warning",
         f"--define:__CANDOR_WORKERS__={json.dumps({'hash': worker})}"],
        input=HARNESS, cwd=ROOT, check=True, capture_output=True, text=True,
    )
    return out.stdout


def open_harness(page: Any, server: LiveServer) -> None:
    """A page of the server's origin, with the reporter pages' headers, that
    loads the harness; everything else (the worker) comes from `candor serve`."""
    origin = server.url.rstrip("/")
    raw = json.loads((server.site_dir / "headers.json").read_text())
    served = {k: v for k, v in raw.items() if k != "paths"}
    page_headers = headers_for(served, raw.get("paths", {}), "hash-harness.html")
    script = harness(server)
    page.route(origin + "/hash-harness.html", lambda route: route.fulfill(
        body='<!doctype html><script type="module" src="/assets/hash-harness.js"></script>',
        headers={**page_headers, "content-type": "text/html; charset=utf-8"}))
    page.route(origin + "/assets/hash-harness.js", lambda route: route.fulfill(
        body=script, headers={**page_headers, "content-type": "text/javascript"}))
    page.goto(origin + "/hash-harness.html")
    page.wait_for_function("() => window.sealHere !== undefined")


def seal_in_page(page: Any, plain: bytes) -> tuple[dict[str, Any], str]:
    identity = documents.new_reply_identity(X25519)
    out = page.evaluate(
        "([plain, recipient, part]) => window.sealHere(plain, recipient, part)",
        [base64.b64encode(plain).decode(), keyfile.identity_recipient(identity), PART],
    )
    return out, identity


def check_sealed(out: dict[str, Any], identity: str, plain: bytes) -> None:
    sealed = base64.b64decode(out["sealed"])
    assert out["parts"] == -(-len(sealed) // PART) > 1
    assert out["sha256"] == hashlib.sha256(sealed).hexdigest()
    entry = {"id": "a_" + "A" * 22, "name": "f.bin", "type": "application/octet-stream",
             "size": len(plain), "sha256": out["sha256"]}
    assert documents.open_attachment(sealed, [identity], entry) == plain


def test_the_hash_worker_hashes_the_sealed_blob_as_hashlib_does(
    make_page: Any, server: LiveServer
) -> None:
    page, watch = make_page(server.url)
    open_harness(page, server)
    plain = os.urandom(3 * PART + 12345)
    out, identity = seal_in_page(page, plain)
    assert out["where"] == "worker", "the hash worker did not start under its headers"
    check_sealed(out, identity, plain)
    assert any("/assets/hash-" in r and "harness" not in r for r in watch.requests)


def test_a_worker_refused_webassembly_leaves_the_same_hash_to_the_page(
    make_page: Any, server: LiveServer
) -> None:
    page, _watch = make_page(server.url)

    def without_wasm(route: Any) -> None:
        answer = route.fetch()
        headers = {k: v.replace(" 'wasm-unsafe-eval'", "") for k, v in answer.headers.items()}
        route.fulfill(response=answer, headers=headers)

    page.route("**/assets/hash-*.js", lambda route: (
        route.fallback() if "harness" in route.request.url else without_wasm(route)))
    open_harness(page, server)
    plain = os.urandom(2 * PART + 1)
    out, identity = seal_in_page(page, plain)
    assert out["where"] == "page"
    check_sealed(out, identity, plain)
