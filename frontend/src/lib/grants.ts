// Access after submission, the reading side (protocol §4.4 "Grants"): the
// twin of candor/grants.py's `assemble` and `readable`. A granted member
// reads a blob as their grant header followed by the stored blob's bytes
// after its own header; that is a valid age v1 file, because the header MAC
// covers only the header's own stanzas. Who is on a case is proven from the
// report and the signed grant documents, never taken from the server. Making
// grants is not in the browser yet (the CLI makes them: `candor cases grant`).
import { isObject, isString } from "./check.js";
import { caseHash, OpenFailed } from "./documents.js";
import { concat, fromB64u } from "./encoding.js";
import { memberSigningKeys } from "./manifest.js";
import { verifyDocument } from "./sign.js";
import type { Manifest } from "./types.js";

const INTRO = new TextEncoder().encode("age-encryption.org/v1\n");
const NL = 0x0a;
const MAC_LINE = [NL, 0x2d, 0x2d, 0x2d]; // "\n---"

/** Offset just past an age header's MAC line, or -1. Body lines are base64,
 * which has no "-", so the first line starting with "---" is the MAC line. */
export function headerEnd(bytes: Uint8Array): number {
  if (!INTRO.every((b, i) => bytes[i] === b)) return -1;
  for (let i = 0; i + MAC_LINE.length <= bytes.length; i++) {
    if (MAC_LINE.every((b, j) => bytes[i + j] === b)) {
      const end = bytes.indexOf(NL, i + 1);
      return end < 0 ? -1 : end + 1;
    }
  }
  return -1;
}

/** The file a granted member decrypts: `header`, then `sealed`'s payload
 * after its own header. A bad header fails when decrypting.
 * @throws {OpenFailed} for a blob without a header */
export function assemble(header: Uint8Array, sealed: Uint8Array): Uint8Array {
  const end = headerEnd(sealed);
  if (end < 0) throw new OpenFailed("header");
  return concat(header, sealed.subarray(end));
}

/** The caller's grant header in a blob answer, or null. @throws {EncodingError} */
export function grantHeader(answer: object): Uint8Array | null {
  const header: unknown = (answer as { header?: unknown }).header;
  return isString(header) ? fromB64u(header) : null;
}

/** A blob answer's bytes as stored (what hashes and `prev` name) and as this
 * member decrypts them (with its grant header, when the answer has one).
 * @throws {OpenFailed} */
export function readable(answer: { sealed: string; header?: unknown }): {
  stored: Uint8Array;
  mine: Uint8Array;
} {
  const stored = fromB64u(answer.sealed);
  const header = grantHeader(answer);
  return { stored, mine: header === null ? stored : assemble(header, stored) };
}

// -- who is on the case ------------------------------------------------------------------

/** A grant as the case lists it (protocol §4.4): who, by whom, and the signed document. */
export interface GrantListing {
  member: string;
  by: string;
  day: string;
  grant: unknown;
}

const GRANT_FIELDS = ["by", "case", "member", "sig", "type", "v"];

/** The grants a case answer lists (none from an older server). */
export function grantsOf(detail: object): GrantListing[] {
  const listed: unknown = (detail as { grants?: unknown }).grants;
  if (!Array.isArray(listed)) return [];
  return listed.filter(
    (g): g is GrantListing => isObject(g) && isString(g.member) && isString(g.by) && isString(g.day),
  );
}

/** Why `doc` is not the grant document of this case, member and granter (signature apart), or null. */
export function grantDocumentProblem(doc: unknown, replyTo: string, member: string, by: string): string | null {
  if (!isObject(doc) || JSON.stringify(Object.keys(doc).sort()) !== JSON.stringify(GRANT_FIELDS))
    return "a grant document has exactly the fields " + GRANT_FIELDS.join(", ");
  if (doc.v !== 1 || doc.type !== "grant" || doc.case !== caseHash(replyTo))
    return "the grant document is not one of this case";
  if (doc.member !== member || doc.by !== by) return "the grant document names another member or granter";
  return null;
}

/**
 * The report's `access` and every member a valid grant names, granted by a
 * member proven before it (candor/grants.py's proven_access): a server
 * cannot add a reader, as it can sign no grant document.
 */
export function provenAccess(
  report: { access?: unknown },
  replyTo: string,
  grants: readonly GrantListing[],
  chain: readonly Manifest[],
): Set<string> {
  const proven = new Set(Array.isArray(report.access) ? report.access.filter(isString) : []);
  let pending = [...grants];
  for (;;) {
    const found = pending.filter(
      (g) =>
        proven.has(g.by) &&
        grantDocumentProblem(g.grant, replyTo, g.member, g.by) === null &&
        verifyDocument(g.grant as { sig?: unknown }, memberSigningKeys(chain, g.by)),
    );
    if (!found.length) return proven;
    for (const g of found) proven.add(g.member);
    pending = pending.filter((g) => !found.includes(g));
  }
}

/**
 * The current members of the manifest version the report was sealed with
 * that its `access` left out: the reporter excluded them (null when that
 * version is not in `chain`).
 */
export function excluded(
  report: { access?: unknown; manifest?: unknown },
  chain: readonly Manifest[],
): Set<string> | null {
  const then = chain.find((m) => m.version === report.manifest);
  if (!then) return null;
  const access = Array.isArray(report.access) ? report.access : [];
  return new Set(then.members.filter((m) => !m.removed && !access.includes(m.id)).map((m) => m.id));
}

/** What the stored access list says that the report and the grants do not prove (protocol §4.5). */
export function accessProblems(
  chain: readonly Manifest[],
  detail: { reply_to: string; access: readonly string[] },
  report: { access?: unknown; manifest?: unknown },
): string[] {
  const proven = provenAccess(report, detail.reply_to, grantsOf(detail), chain);
  const leftOut = excluded(report, chain) ?? new Set<string>();
  return [
    ...detail.access.filter((m) => !proven.has(m)).map((m) => `${m} is on the case without a grant that verifies`),
    ...detail.access.filter((m) => leftOut.has(m)).map((m) => `${m} was excluded by the reporter but is on the case`),
  ];
}
