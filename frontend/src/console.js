// The review console: unlock → inbox → case; team administration.
// Keys and plaintext live only in memory (console/session.js).
import { KeyFileInvalid, KeyFileLocked, openKeyFile } from "./lib/keyfile.js";
import { $, builtIn, fingerprint, loadManifestChain, setAlert, startPage } from "./page/common.js";
import { begin, isAdmin, lock, me, memberLabel, onLock, session, setI18n, showNotice } from "./console/session.js";
import { showInbox, clearInbox, initInbox } from "./console/inbox.js";
import { clearCase, initCase } from "./console/case.js";
import { clearTeam, initTeam, showTeam } from "./console/team.js";
import { showView } from "./console/views.js";

const i18n = startPage();
setI18n(i18n);
document.title = i18n.t("console.title");
i18n.onChange(() => { document.title = i18n.t("console.title"); });
$("fingerprint").textContent = fingerprint(builtIn);
$("manifest-version").textContent = String(builtIn.version);

initInbox();
initCase();
initTeam();

$("unlock-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("keyfile").files[0];
  const passphrase = $("passphrase").value;
  setAlert($("unlock-error"), i18n, null);
  if (!file || !passphrase) {
    setAlert($("unlock-error"), i18n, "console.unlock.missing");
    return;
  }
  $("unlock").disabled = true;
  setAlert($("unlock-status"), i18n, "console.unlock.opening");
  // Let the status paint: the passphrase derivation (scrypt) blocks for a few seconds.
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 30)));
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const key = await openKeyFile(bytes, passphrase);
    const { chain, fetched } = await loadManifestChain();
    if (!fetched) throw new Error("offline");
    begin(key, chain);
    $("passphrase").value = "";
    $("keyfile").value = "";
    setAlert($("unlock-status"), i18n, null);
    afterUnlock();
  } catch (err) {
    setAlert($("unlock-status"), i18n, null);
    const reason = err instanceof KeyFileLocked ? "console.unlock.wrong" : err instanceof KeyFileInvalid ? "console.unlock.invalid"
      : err?.message === "offline" ? "console.unlock.offline" : "console.unlock.manifest";
    setAlert($("unlock-error"), i18n, reason);
  } finally {
    $("unlock").disabled = false;
  }
});

function afterUnlock() {
  const entry = me();
  $("whoami").textContent = entry ? memberLabel(entry, "dash") : session.key.member;
  $("whoami").hidden = false;
  $("lock").hidden = false;
  $("tabs").hidden = false;
  setAlert($("notice"), i18n, null);
  if (!entry) showNotice("console.unlock.not_in_manifest");
  else if (entry.signing_key !== session.key.signingKey) showNotice("console.unlock.key_not_published");
  $("admin-tools").hidden = !isAdmin();
  showInbox();
}

$("lock").addEventListener("click", () => {
  lock();
  showNotice("console.locked");
});
$("tab-inbox").addEventListener("click", () => showInbox());
$("tab-team").addEventListener("click", () => showTeam());

onLock(() => {
  clearInbox();
  clearCase();
  clearTeam();
  $("whoami").hidden = true;
  $("whoami").textContent = "";
  $("lock").hidden = true;
  $("tabs").hidden = true;
  $("admin-tools").hidden = true;
  showView("view-unlock");
});
