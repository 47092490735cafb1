// The audit log (protocol §4.6) for admins: every entry loaded, its chain and
// request signatures verified in the browser; the head seen is saved as a
// small file (nothing is stored in the browser, protocol §6) and a later load is
// checked against it.
import { listAudit } from "../lib/api.js";
import { headFile, headInChain, parseHead, verifyAudit } from "../lib/audit.js";
import { fromUtf8, utf8 } from "../lib/encoding.js";
import { parseStrict } from "../lib/strict-json.js";
import type { AuditEntry } from "../lib/types.js";
import { $, el, saveBytes, tr } from "../page/common.js";
import { clearAuditTable, initAuditTable, showEntries } from "./audit-table.js";
import { type Args, current, i18n, keysOf, say, session, showError, stillOpen } from "./session.js";
import { button, chosenFile, input } from "./views.js";

type AuditResult = ReturnType<typeof verifyAudit>;

/** The last verified load, for the head file. */
let auditHead: { seq: number; hash: string; day_time: string | null } | null = null;

export function initAudit(): void {
  $("audit-verify").addEventListener("click", () => void verifyLog());
  $("audit-head-save").addEventListener("click", saveHead);
  $("audit-head-file").addEventListener("change", () => void checkSavedHead());
  initAuditTable();
}

export function clearAudit(): void {
  auditHead = null;
  for (const id of ["audit-result", "audit-head-result"]) $(id).replaceChildren();
  clearAuditTable();
  button("audit-head-save").disabled = true;
  input("audit-head-file").value = "";
}

function resultNode(result: AuditResult): HTMLElement {
  if (!result.problems.length) {
    return el(
      "div",
      { class: "alert alert-ok", dataset: { result: "ok" } },
      tr("console.team.audit.ok", { n: result.count, head: result.head.hash }),
    );
  }
  const problems = result.problems.map((p) =>
    el("li", {}, tr(`console.team.audit.problem.${p.problem}`, { seq: p.seq })),
  );
  return el(
    "div",
    { class: "alert alert-error", dataset: { result: "bad" } },
    tr("console.team.audit.problems", { n: result.problems.length }),
    el("ul", {}, ...problems),
  );
}

/** Load every entry, verify chain and signatures, and show them; null when loading failed. */
async function verifyLog(
  remembered = session.auditHead,
): Promise<{ entries: AuditEntry[]; result: AuditResult } | null> {
  const epoch = session.epoch;
  say("audit-result", "console.team.audit.loading");
  try {
    const entries = await listAudit(current().client);
    if (!stillOpen(epoch)) return null;
    const result = verifyAudit(entries, keysOf, remembered);
    if (!result.problems.length) {
      session.auditHead = result.head;
      auditHead = { ...result.head, day_time: entries.at(-1)?.day_time ?? null };
    }
    button("audit-head-save").disabled = result.problems.length > 0 || entries.length === 0;
    showEntries(entries.map((entry, i) => ({ entry, verdict: result.verdicts[i] ?? "bad" })));
    const node = $("audit-result");
    node.replaceChildren(resultNode(result));
    i18n().apply(node);
    return { entries, result };
  } catch (err) {
    if (stillOpen(epoch)) showError($("audit-result"), err);
    return null;
  }
}

/** Nothing is stored in the browser (protocol §6): the head seen is saved as a small file instead. */
function saveHead(): void {
  if (!auditHead) return;
  saveBytes(utf8(headFile(auditHead, auditHead.day_time)), `candor-audit-head-${auditHead.seq}.json`);
  say("audit-head-result", "console.team.audit.head_saved", { seq: auditHead.seq });
}

/** Reload and verify the log, then check that the saved (seq, hash) is still in the chain. */
async function checkSavedHead(): Promise<void> {
  const file = chosenFile("audit-head-file");
  if (!file) return;
  $("audit-head-result").replaceChildren();
  let head: ReturnType<typeof parseHead>;
  try {
    head = parseHead(parseStrict(fromUtf8(new Uint8Array(await file.arrayBuffer()))));
  } catch {
    showHeadResult("bad", "console.team.audit.head_invalid", {});
    return;
  } finally {
    input("audit-head-file").value = "";
  }
  const loaded = await verifyLog();
  if (!loaded) return;
  const { entries, result } = loaded;
  if (!headInChain(entries, head))
    showHeadResult("bad", "console.team.audit.head_gone", { seq: head.seq, hash: head.hash });
  else if (result.problems.length) showHeadResult("bad", "console.team.audit.head_chain_bad", { seq: head.seq });
  else showHeadResult("ok", "console.team.audit.head_ok", { seq: head.seq, n: entries.length });
}

function showHeadResult(verdict: "ok" | "bad", key: string, args: Args): void {
  const node = $("audit-head-result");
  const cls = `alert ${verdict === "ok" ? "alert-ok" : "alert-error"}`;
  node.replaceChildren(el("div", { class: cls, dataset: { head: verdict } }, tr(key, args)));
  i18n().apply(node);
}
