// The audit log (protocol §4.6) for admins: every entry loaded, its chain and
// request signatures verified in the browser; the head seen is saved as a
// small file (nothing is stored in the browser, protocol §6) and a later load is
// checked against it.
import { headFile, headInChain, parseHead, verifyAudit } from "../lib/audit.js";
import { fromUtf8, utf8 } from "../lib/encoding.js";
import { parseStrict } from "../lib/strict-json.js";
import { $, el, saveBytes, tr } from "../page/common.js";
import { i18n, keysOf, memberName, session, showError, stillOpen } from "./session.js";

let auditHead = null; // {seq, hash, day_time} of the last verified load, for the head file

const say = (id, key, args, cls = "") => {
  const node = $(id);
  node.replaceChildren(key ? el("span", { class: cls }, tr(key, args)) : "");
  i18n().apply(node);
};

export function initAudit() {
  $("audit-verify").addEventListener("click", () => verifyLog());
  $("audit-head-save").addEventListener("click", saveHead);
  $("audit-head-file").addEventListener("change", checkSavedHead);
}

export function clearAudit() {
  auditHead = null;
  for (const id of ["audit-result", "audit-rows", "audit-head-result"]) $(id).replaceChildren();
  $("audit-table").hidden = true;
  $("audit-head-save").disabled = true;
  $("audit-head-file").value = "";
}

async function fetchAudit() {
  const entries = [];
  let cursor = "";
  do {
    const page = await session.client.get("/v1/team/audit", { cursor });
    entries.push(...page.entries);
    cursor = page.cursor ?? "";
  } while (cursor);
  return entries;
}

/** Load every entry, verify chain and signatures, and show them. Returns {entries, result} or null. */
async function verifyLog(remembered = session.auditHead) {
  const epoch = session.epoch;
  say("audit-result", "console.team.audit.loading");
  try {
    const entries = await fetchAudit();
    if (!stillOpen(epoch)) return null;
    const result = verifyAudit(entries, keysOf, remembered);
    if (!result.problems.length) {
      session.auditHead = result.head;
      auditHead = { ...result.head, day_time: entries.at(-1)?.day_time ?? null };
    }
    $("audit-head-save").disabled = result.problems.length > 0 || entries.length === 0;
    const rows = entries.map((e, i) => el("tr", { class: result.verdicts[i] === "bad" ? "bad" : null, dataset: { seq: String(e.seq), verdict: result.verdicts[i] } },
      el("td", {}, String(e.seq)), el("td", {}, e.day_time), el("td", {}, e.member ? memberName(e.member) : tr("console.team.audit.system")),
      el("td", { class: "mono" }, e.action), el("td", { class: "mono" }, e.case ?? ""),
      el("td", {}, tr(`console.team.audit.${result.verdicts[i]}`))));
    $("audit-rows").replaceChildren(...rows.reverse());
    $("audit-table").hidden = false;
    i18n().apply($("audit-rows"));
    const node = $("audit-result");
    node.replaceChildren(result.problems.length
      ? el("div", { class: "alert alert-error", dataset: { result: "bad" } }, tr("console.team.audit.problems", { n: result.problems.length }),
        el("ul", {}, ...result.problems.map((p) => el("li", {}, tr(`console.team.audit.problem.${p.problem}`, { seq: p.seq })))))
      : el("div", { class: "alert alert-ok", dataset: { result: "ok" } }, tr("console.team.audit.ok", { n: result.count, head: result.head.hash })));
    i18n().apply(node);
    return { entries, result };
  } catch (err) {
    if (stillOpen(epoch)) showError($("audit-result"), err);
    return null;
  }
}

/** Nothing is stored in the browser (protocol §6): the head seen is saved as a small file instead. */
function saveHead() {
  if (!auditHead) return;
  saveBytes(utf8(headFile(auditHead, auditHead.day_time)), `candor-audit-head-${auditHead.seq}.json`);
  say("audit-head-result", "console.team.audit.head_saved", { seq: auditHead.seq });
}

/** Reload and verify the log, then check that the saved (seq, hash) is still in the chain. */
async function checkSavedHead() {
  const file = $("audit-head-file").files[0];
  if (!file) return;
  const node = $("audit-head-result");
  node.replaceChildren();
  let head;
  try {
    head = parseHead(parseStrict(fromUtf8(new Uint8Array(await file.arrayBuffer()))));
  } catch {
    return showHeadResult("bad", "console.team.audit.head_invalid", {});
  } finally {
    $("audit-head-file").value = "";
  }
  const loaded = await verifyLog();
  if (!loaded) return;
  const { entries, result } = loaded;
  if (!headInChain(entries, head)) showHeadResult("bad", "console.team.audit.head_gone", { seq: head.seq, hash: head.hash });
  else if (result.problems.length) showHeadResult("bad", "console.team.audit.head_chain_bad", { seq: head.seq });
  else showHeadResult("ok", "console.team.audit.head_ok", { seq: head.seq, n: entries.length });
}

function showHeadResult(verdict, key, args) {
  const node = $("audit-head-result");
  node.replaceChildren(el("div", { class: `alert ${verdict === "ok" ? "alert-ok" : "alert-error"}`, dataset: { head: verdict } }, tr(key, args)));
  i18n().apply(node);
}
