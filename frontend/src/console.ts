// The review console: unlock → inbox → case; team administration; audit.
// Keys and plaintext live only in memory (console/session.ts). This entry
// module wires the views together: no view imports another.
import { KeyFileInvalid, KeyFileLocked } from "./lib/keyfile.js";
import { PasskeyError } from "./lib/passkey.js";
import type { Manifest } from "./lib/types.js";
import { $, builtIn, fingerprint, loadManifestStatus, memberLabel, setAlert, startPage } from "./page/common.js";
import { clearBanner, initBanner, showBanner } from "./console/banner.js";
import { clearAudit, initAudit } from "./console/audit.js";
import { clearCase, initCase, openCase } from "./console/case.js";
import { clearDrills, initDrills, showDrills } from "./console/drills.js";
import { clearFigures, initFigures, showFigures } from "./console/figures.js";
import {
  clearInbox,
  forgetCase,
  inboxCases,
  inboxSummary,
  initInbox,
  markStale,
  showInbox,
  updateSummary,
} from "./console/inbox.js";
import { clearIntake, initIntake, showIntake } from "./console/intake.js";
import { clearPasskeys, initPasskeys, passkeyKey, showPasskeys } from "./console/passkeys.js";
import { initProposal, onPublished } from "./console/proposal.js";
import { clearReleases, initReleases } from "./console/releases.js";
import {
  begin,
  current,
  isAdmin,
  lock,
  me,
  type MemberKey,
  onLock,
  openKey,
  painted,
  setI18n,
  showNotice,
} from "./console/session.js";
import { clearTeam, initTeam, showTeam } from "./console/team.js";
import { button, chosenFile, input, showView } from "./console/views.js";

const i18n = startPage();
setI18n(i18n);
document.title = i18n.t("console.title");
i18n.onChange(() => {
  document.title = i18n.t("console.title");
});
// build.mjs refuses to build in a manifest that does not verify (verifyBuiltIn).
const shipped = builtIn as Manifest;
$("fingerprint").textContent = fingerprint(shipped);
$("manifest-version").textContent = String(shipped.version);

initInbox({
  openCase: (id) => void openCase(id),
});
initCase({
  back: () => void showInbox(),
  changed: (id, detail, meta) => {
    updateSummary(id, detail, meta);
    markStale();
  },
  read: (id, detail, meta) => {
    updateSummary(id, detail, meta);
  },
  summary: inboxSummary,
  choices: async () =>
    (await inboxCases()).flatMap((c) => (c.fields ? [{ id: c.summary.id, summary: c.fields.summary }] : [])),
  deleted: (id) => {
    forgetCase(id);
    markStale();
    void showInbox();
  },
  drillSummary: (id) => void showDrills(id),
});
initTeam();
initIntake();
initFigures({ inboxCases });
initDrills({
  openCase: (id) => void openCase(id),
  filed: markStale,
});
initAudit();
initProposal();
initReleases();
initBanner();
initPasskeys();
onPublished(showBanner);

/** The catalogue key saying why unlocking failed. */
function unlockFailure(err: unknown): string {
  if (err instanceof KeyFileLocked) return "console.unlock.wrong";
  if (err instanceof KeyFileInvalid) return "console.unlock.invalid";
  if (err instanceof PasskeyError) return `console.unlock.passkey_${err.failure}`;
  return err instanceof Error && err.message === "offline" ? "console.unlock.offline" : "console.unlock.manifest";
}

async function unlock(): Promise<void> {
  const file = chosenFile("keyfile");
  const passphrase = input("passphrase").value;
  setAlert($("unlock-error"), i18n, null);
  if (!file || !passphrase) {
    setAlert($("unlock-error"), i18n, "console.unlock.missing");
    return;
  }
  button("unlock").disabled = true;
  setAlert($("unlock-status"), i18n, "console.unlock.opening");
  // Let the status paint before the passphrase derivation (scrypt, in a worker) starts.
  await painted();
  try {
    await start(await openKey(file, passphrase));
    input("passphrase").value = "";
    input("keyfile").value = "";
  } catch (err) {
    setAlert($("unlock-status"), i18n, null);
    setAlert($("unlock-error"), i18n, unlockFailure(err));
  } finally {
    button("unlock").disabled = false;
  }
}

/** Open the session with `key` once the manifest chain verifies. @throws {Error} offline | {ManifestInvalid} */
async function start(key: MemberKey): Promise<void> {
  // An expired newest version still unlocks, read-only (issue 11): the banner says so.
  const { chain, fetched } = await loadManifestStatus();
  if (!fetched) throw new Error("offline");
  begin(key, chain);
  setAlert($("unlock-status"), i18n, null);
  afterUnlock();
}

/** Unlock with a passkey alone (protocol §5): any failure leaves the console locked and says why. */
async function unlockWithPasskey(): Promise<void> {
  setAlert($("unlock-error"), i18n, null);
  button("unlock-passkey").disabled = true;
  setAlert($("unlock-status"), i18n, "console.unlock.passkey_opening");
  try {
    await start(await passkeyKey());
  } catch (err) {
    setAlert($("unlock-status"), i18n, null);
    setAlert($("unlock-error"), i18n, unlockFailure(err));
  } finally {
    button("unlock-passkey").disabled = false;
  }
}

function afterUnlock(): void {
  const entry = me();
  $("whoami").textContent = entry ? memberLabel(entry) : current().key.member;
  $("whoami").hidden = false;
  $("lock").hidden = false;
  $("tabs").hidden = false;
  setAlert($("notice"), i18n, null);
  if (!entry) showNotice("console.unlock.not_in_manifest");
  else if (entry.signing_key !== current().key.signingKey) showNotice("console.unlock.key_not_published");
  $("admin-tools").hidden = !isAdmin();
  showBanner();
  // An intake member files reports and reads nothing (protocol §4.5, Roles): one tab.
  const intake = entry?.role === "intake";
  for (const tab of document.querySelectorAll<HTMLElement>(".tab")) tab.hidden = intake && tab.id !== "tab-intake";
  if (intake) {
    showIntake();
    return;
  }
  void showPasskeys();
  void showInbox();
}

$("unlock-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void unlock();
});
$("unlock-passkey").addEventListener("click", () => void unlockWithPasskey());
$("lock").addEventListener("click", () => {
  lock();
  showNotice("console.locked");
});
$("tab-inbox").addEventListener("click", () => void showInbox());
$("tab-team").addEventListener("click", () => void showTeam());
$("tab-intake").addEventListener("click", () => {
  showIntake();
});
$("tab-figures").addEventListener("click", () => void showFigures());
$("tab-drills").addEventListener("click", () => void showDrills());

onLock(() => {
  clearInbox();
  clearCase();
  clearTeam();
  clearIntake();
  clearFigures();
  clearDrills();
  clearAudit();
  clearBanner();
  clearPasskeys();
  clearReleases();
  $("whoami").hidden = true;
  $("whoami").textContent = "";
  $("lock").hidden = true;
  $("tabs").hidden = true;
  $("admin-tools").hidden = true;
  showView("view-unlock");
});
