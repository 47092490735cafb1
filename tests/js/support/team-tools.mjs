// Team-side helpers for tests, standing in for the console/CLI:
//   node --import tsx team-tools.mjs open TEAM_JSON MEMBER_INDEX SEALED_FILE  → the document (JSON) or attachment bytes (hex)
//   node --import tsx team-tools.mjs reply TEAM_JSON MEMBER_INDEX REPORT_JSON PREV TEXT → {"id", "sealed": b64u}
// REPORT_JSON is the decrypted report (for reply_to and access).
import { readFileSync } from "node:fs";
import { openBytes, decodeDocument, caseHash, sealDocument } from "../../../frontend/src/lib/documents.js";
import { b64u, fromB64u, hex, randomId } from "../../../frontend/src/lib/encoding.js";
import { signDocument } from "../../../frontend/src/lib/sign.js";

const [cmd, teamPath, index, ...rest] = process.argv.slice(2);
const team = JSON.parse(readFileSync(teamPath, "utf8"));
const me = team[Number(index)];

if (cmd === "open") {
  const plain = await openBytes(new Uint8Array(readFileSync(rest[0])), [me.identity]);
  try {
    process.stdout.write(JSON.stringify(decodeDocument(plain)));
  } catch {
    process.stdout.write(JSON.stringify({ bytes: hex(plain) }));
  }
} else if (cmd === "reply") {
  const [reportPath, prev, text] = rest;
  const report = JSON.parse(readFileSync(reportPath, "utf8"));
  const doc = signDocument(
    {
      v: 1,
      type: "message",
      id: randomId("b_"),
      case: caseHash(report.reply_to),
      from: "team",
      member: me.id,
      prev: prev === "null" ? null : prev,
      text,
      attachments: [],
    },
    fromB64u(me.seed),
  );
  const recipients = [...team.filter((m) => report.access.includes(m.id)).map((m) => m.recipient), report.reply_to];
  process.stdout.write(JSON.stringify({ id: doc.id, sealed: b64u(await sealDocument(doc, recipients)) }));
} else {
  throw new Error(`unknown command ${cmd}`);
}
