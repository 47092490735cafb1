"""Passkeys unlock the console (protocol §5, issue 17), in Debian's Chromium
with CDP virtual authenticators that support the WebAuthn PRF extension: a
member unlocks with the passphrase, adds a passkey, locks, and unlocks with
the passkey alone after a reload; a passkey whose PRF output does not open
its wrap, another authenticator's passkey, an authenticator without PRF and
a removed passkey all leave the console locked with a clear message; the
key file still opens with Debian's `age` and the passphrase; removing the
last passkey leaves nothing stored; the reporter page keeps WebAuthn
blocked. WebAuthn needs a domain, not an address: the pages are opened at
http://localhost, a secure context."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from candor import keyfile as kf
from tests.browser.conftest import ROOT, SCREENSHOTS, run_axe
from tests.browser.test_console import member

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AUTHENTICATOR = {
    "protocol": "ctap2", "ctap2Version": "ctap2_1", "transport": "internal",
    "hasResidentKey": True, "hasUserVerification": True, "isUserVerified": True,
    "hasPrf": True, "automaticPresenceSimulation": True,
}  # fmt: skip

STORED = """async () => {
  if (!(await indexedDB.databases()).some((d) => d.name === "candor-console")) return null;
  const db = await new Promise((ok, no) => {
    const r = indexedDB.open("candor-console");
    r.onsuccess = () => ok(r.result);
    r.onerror = () => no(r.error);
  });
  const all = await new Promise((ok) => {
    const r = db.transaction("passkeys").objectStore("passkeys").getAll();
    r.onsuccess = () => ok(r.result);
  });
  db.close();
  return all.map((x) => ({ ...x, wrap: Array.from(x.wrap) }));
}"""
PUT_WRAP = """async ([id, wrap]) => {
  const db = await new Promise((ok) => {
    const r = indexedDB.open("candor-console");
    r.onsuccess = () => ok(r.result);
  });
  const store = db.transaction("passkeys", "readwrite").objectStore("passkeys");
  const rec = await new Promise((ok) => {
    const r = store.get(id);
    r.onsuccess = () => ok(r.result);
  });
  await new Promise((ok) => {
    const r = store.put({ ...rec, wrap: new Uint8Array(wrap) });
    r.onsuccess = ok;
  });
  db.close();
}"""
PUT_RECORD = """async (rec) => {
  const db = await new Promise((ok) => {
    const r = indexedDB.open("candor-console");
    r.onsuccess = () => ok(r.result);
  });
  await new Promise((ok) => {
    const r = db.transaction("passkeys", "readwrite").objectStore("passkeys")
      .put({ ...rec, wrap: new Uint8Array(rec.wrap) });
    r.onsuccess = ok;
  });
  db.close();
}"""
# A discoverable passkey for this origin that the console never registered.
FOREIGN_PASSKEY = """async () => { await navigator.credentials.create({ publicKey: {
  rp: { name: "x" }, user: { id: new Uint8Array(16), name: "x", displayName: "x" },
  challenge: new Uint8Array(16), pubKeyCredParams: [{ type: "public-key", alg: -7 }],
  authenticatorSelection: { residentKey: "required", userVerification: "required" },
  extensions: { prf: { eval: { first: new Uint8Array(8) } } } } }); }"""
POLICY = """() => ["publickey-credentials-get", "publickey-credentials-create"]
  .map((f) => document.featurePolicy.allowsFeature(f))"""


def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def localhost(server: Any) -> str:
    return str(server.url).rstrip("/").replace("127.0.0.1", "localhost")


class Authenticators:
    """CDP virtual authenticators of one page."""

    def __init__(self, page: Any) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable", {"enableUI": False})

    def add(self, **options: Any) -> str:
        answer = self.cdp.send("WebAuthn.addVirtualAuthenticator",
                               {"options": AUTHENTICATOR | options})  # fmt: skip
        return str(answer["authenticatorId"])

    def remove(self, authenticator: str) -> None:
        self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})

    def add_credential(self, authenticator: str, credential: dict[str, Any]) -> None:
        self.cdp.send("WebAuthn.addCredential",
                      {"authenticatorId": authenticator, "credential": credential})  # fmt: skip

    def remove_credential(self, authenticator: str, credential_id: str) -> None:
        where = {"authenticatorId": authenticator, "credentialId": credential_id}
        self.cdp.send("WebAuthn.removeCredential", where)

    def credentials(self, authenticator: str) -> list[dict[str, Any]]:
        answer = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
        return list(answer["credentials"])


def passphrase_unlock(page: Any, who: Any) -> None:
    page.set_input_files("#keyfile", str(who.keyfile_path))
    page.fill("#passphrase", who.passphrase)
    page.click("#unlock")
    page.wait_for_selector("#view-inbox:not([hidden])", timeout=90000)


def add_passkey(page: Any, label: str) -> str:
    page.click("#tab-team")
    page.fill("#passkey-label", label)
    page.click("#passkey-add")
    page.wait_for_function(
        "(re) => new RegExp(re).test(document.getElementById('passkeys-status').innerText)",
        arg="added|No passkey|PRF|cannot",
    )
    return str(page.inner_text("#passkeys-status"))


def wait_for_status(page: Any, text: str) -> None:
    page.wait_for_function(
        "(text) => document.getElementById('passkeys-status').innerText.includes(text)", arg=text
    )


def passkey_unlock_fails(page: Any, why: str) -> None:
    """The passkey unlock says `why` and the console stays locked."""
    page.click("#unlock-passkey")
    page.wait_for_function(
        "(why) => document.getElementById('unlock-error').innerText.includes(why)", arg=why
    )
    assert page.is_visible("#view-unlock")
    assert page.is_hidden("#tabs")
    assert page.evaluate("() => document.getElementById('view-inbox').hidden")


def lock_and_reload(page: Any, at: str) -> None:
    page.click("#lock")
    page.goto(at + "/console/")  # nothing of the session survives in memory
    page.wait_for_selector("#unlock-form")


def b64u_to_b64(text: str) -> str:
    return base64.b64encode(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))).decode()


def test_passkey_unlocks_alone_and_every_wrong_credential_fails_closed(
    live_server: Any, make_page: Any, tmp_path: Path
) -> None:
    grace = member(live_server, "Grace")
    at = localhost(live_server)
    page, _watch = make_page(at)
    auth = Authenticators(page)
    first = auth.add()
    page.goto(at + "/console/")
    page.wait_for_selector("#unlock-form")
    assert page.evaluate(POLICY) == [True, True]
    assert page.is_hidden("#passkey-unlock")  # nothing stored yet
    passphrase_unlock(page, grace)

    assert "added" in add_passkey(page, "Laptop")
    assert page.inner_text("#passkeys-list").startswith("Laptop")
    page.locator("#passkeys-section").screenshot(
        path=str(screenshot_dir() / "console-passkeys.png")
    )
    violations = [v for v in run_axe(page) if any("passkey" in str(n) for n in v["nodes"])]
    assert violations == [], violations
    [record] = page.evaluate(STORED)
    assert record["member"] == grace.member_id and record["label"] == "Laptop"
    wrap = bytes(record["wrap"])
    assert wrap.startswith(b"age-encryption.org/v1\n-> X25519 ")
    assert grace.keyfile.identities[0].encode() not in wrap

    # Locked and reloaded: the passkey alone unlocks.
    lock_and_reload(page, at)
    page.click("#unlock-passkey")
    page.wait_for_selector("#view-inbox:not([hidden])", timeout=60000)
    assert grace.name.split()[0] in page.inner_text("#whoami")

    # A wrap this passkey's PRF output does not open (sealed to another one).
    other = kf.identity_recipient(kf.passkey_identity(os.urandom(32)))
    page.evaluate(PUT_WRAP, [record["id"], list(kf.seal_passkey_wrap(grace.keyfile, other))])
    lock_and_reload(page, at)
    passkey_unlock_fails(page, "does not open the key kept for it")
    page.evaluate(PUT_WRAP, [record["id"], record["wrap"]])

    # A removed passkey no longer unlocks, though its authenticator still holds it.
    passphrase_unlock(page, grace)
    assert "added" in add_passkey(page, "Phone")
    page.click(f"#passkeys-list li[data-passkey='{record['id']}'] button")
    wait_for_status(page, "removed")
    assert page.inner_text("#passkeys-list").startswith("Phone")
    [phone] = page.evaluate(STORED)
    phone_credential = next(c for c in auth.credentials(first)
                            if c["credentialId"] == b64u_to_b64(phone["id"]))  # fmt: skip
    auth.remove_credential(first, phone_credential["credentialId"])
    lock_and_reload(page, at)
    passkey_unlock_fails(page, "No passkey set up for this console in this browser answered")

    # The stored passkey's id on another authenticator, without its PRF secret.
    auth.remove(first)
    second = auth.add()
    auth.add_credential(second, phone_credential)
    passkey_unlock_fails(page, "does not support the PRF extension")

    # Another authenticator's own passkey for this origin.
    auth.remove(second)
    auth.add()
    page.evaluate(FOREIGN_PASSKEY)
    passkey_unlock_fails(page, "No passkey set up for this console in this browser answered")

    # The key file is untouched: Debian's age opens it with the passphrase
    # (typed at a terminal, from a process of its own: forkpty here would
    # fork the browser driver's threads).
    out = tmp_path / "plain.json"
    age = (
        "import json, sys; from tests.age.test_age_interop import _age_with_terminal as a; "
        "a(json.loads(sys.argv[1]), sys.argv[2])"
    )
    args = ["-d", "-o", str(out), str(grace.keyfile_path)]
    subprocess.run([sys.executable, "-c", age, json.dumps(args), grace.passphrase],
                   check=True, cwd=ROOT, timeout=120)  # fmt: skip
    assert json.loads(out.read_text())["member"] == grace.member_id

    # Removing the last passkey leaves nothing stored (make_page checks too).
    passphrase_unlock(page, grace)
    page.click("#tab-team")
    page.click("#passkeys-list li button")
    wait_for_status(page, "removed")
    assert page.is_visible("#passkeys-none")
    assert page.evaluate(STORED) is None


def test_an_authenticator_without_prf_adds_no_passkey(live_server: Any, make_page: Any) -> None:
    grace = member(live_server, "Grace")
    at = localhost(live_server)
    page, _watch = make_page(at)
    Authenticators(page).add(hasPrf=False)
    page.goto(at + "/console/")
    page.wait_for_selector("#unlock-form")
    passphrase_unlock(page, grace)
    assert "does not support the PRF extension" in add_passkey(page, "Old key")
    assert page.evaluate(STORED) is None
    assert page.is_visible("#passkeys-none")


@pytest.mark.parametrize("path", ["/", "/followup.html"])
def test_the_reporter_pages_keep_webauthn_blocked(
    live_server: Any, make_page: Any, path: str
) -> None:
    at = localhost(live_server)
    page, _watch = make_page(at)
    Authenticators(page).add()
    page.goto(at + path)
    assert page.evaluate(POLICY) == [False, False]
    refused = page.evaluate(
        "() => navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16) } })"
        ".then(() => 'allowed', (e) => e.name)"
    )
    assert refused == "NotAllowedError"


def test_a_key_rotation_reseals_the_passkey_wraps(
    live_server: Any, make_page: Any, tmp_path: Path
) -> None:
    # After a rotation the server knows only the new signing key: a wrap of
    # the old key would unlock a console whose every signed call fails. A
    # recipient that someone with the browser profile wrote in (a record of
    # their own, or a changed one) never receives the new key, and a
    # changed recipient no longer unlocks.
    grace = member(live_server, "Grace")
    at = localhost(live_server)
    page, _watch = make_page(at)
    Authenticators(page).add()
    page.goto(at + "/console/")
    page.wait_for_selector("#unlock-form")
    passphrase_unlock(page, grace)
    assert "added" in add_passkey(page, "Laptop")
    [before] = page.evaluate(STORED)
    thief_prf = os.urandom(32)
    thief = kf.identity_recipient(kf.passkey_identity(thief_prf))
    planted = {**before, "id": "cGxhbnRlZC1jcmVkZW50aWFs", "recipient": thief}
    page.evaluate(PUT_RECORD, planted)
    page.fill("#rotate-passphrase", grace.passphrase)
    with page.expect_download(timeout=60000) as download:
        page.click("#rotate-download")
    download.value.save_as(tmp_path / "grace-new.candor-key")
    page.wait_for_selector("#rotate-status:has-text('was saved')")
    page.click("#rotate-publish")
    page.wait_for_selector("#rotate-status:has-text('new keys are in use')")
    for _ in range(100):  # resealing runs after the publish answers
        after = next(r for r in page.evaluate(STORED) if r["id"] == before["id"])
        if after["wrap"] != before["wrap"]:
            break
        page.wait_for_timeout(100)
    else:
        pytest.fail("the passkey's wrap still holds the old key")
    page.wait_for_timeout(500)  # the planted record's turn, either way
    for record in page.evaluate(STORED):
        with pytest.raises(kf.KeyFileLocked):
            kf.open_passkey_wrap(bytes(record["wrap"]), thief_prf)
    wait_for_status(page, "could not be updated")
    assert [r["id"] for r in page.evaluate(STORED)] == [before["id"]]
    page.evaluate(PUT_RECORD, {**after, "recipient": thief})
    lock_and_reload(page, at)
    passkey_unlock_fails(page, "does not open the key kept for it")
    page.evaluate(PUT_RECORD, after)
    page.click("#unlock-passkey")
    page.wait_for_selector("#inbox-progress[data-state=done]", timeout=60000)
    assert page.is_hidden("#inbox-error")
    # The rotated key, whose signing key no manifest lists until an admin
    # publishes one (the old key matched the manifest, and its calls fail).
    assert "not the one in the published manifest" in page.inner_text("#notice")
    page.click("#tab-team")
    page.click("#passkeys-list li button")
    wait_for_status(page, "removed")
    assert page.evaluate(STORED) is None
