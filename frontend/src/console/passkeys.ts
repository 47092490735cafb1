// Passkeys (protocol §5, issue 17): after a passphrase unlock a member adds
// passkeys, each kept in this origin's IndexedDB as a wrap of the key only
// its PRF output opens, with its credential id and a label; any of them
// then unlocks the console alone, and removing one deletes its wrap. The
// console stores nothing in the browser until a passkey is added, and
// removing the last one deletes the database (protocol §6). Each record
// carries a tag only the key's holder can make: a rotation reseals only
// tagged records, so a recipient written into the browser profile by
// someone else never receives the new key.
import { b64u, fromB64u } from "../lib/encoding.js";
import { KeyFileInvalid, KeyFileLocked } from "../lib/keyfile.js";
import { plainLabel } from "../lib/labels.js";
import { todayUtc } from "../lib/manifest.js";
import {
  createPasskey,
  openWrap,
  PasskeyError,
  passkeyPrf,
  passkeyRecipient,
  recordTag,
  recordTagValid,
  sealWrap,
} from "../lib/passkey.js";
import { $, el, setAlert, tr } from "../page/common.js";
import { current, i18n, type MemberKey, onRekey, unlocked } from "./session.js";
import { input } from "./views.js";

const DB = "candor-console";
const STORE = "passkeys";

/**
 * One passkey as kept in IndexedDB: `id` is the credential id (b64u), `wrap`
 * the sealed key, `tag` the record's tag under that key (protocol §5).
 */
interface PasskeyRecord {
  id: string;
  member: string;
  label: string;
  added: string;
  recipient: string;
  wrap: Uint8Array;
  tag?: string;
}

const isRecord = (r: unknown): r is PasskeyRecord => {
  const x = r as Partial<PasskeyRecord> | null;
  const texts = [x?.id, x?.member, x?.label, x?.added, x?.recipient];
  return texts.every((t) => typeof t === "string") && x?.wrap instanceof Uint8Array;
};

const done = <T>(req: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    req.onsuccess = () => {
      resolve(req.result);
    };
    req.onerror = () => {
      reject(req.error ?? new Error("IndexedDB"));
    };
  });

/**
 * Open the database; unless `create`, one that does not exist yet is not
 * made (merely opening creates it: the upgrade is aborted instead).
 */
function openDb(create: boolean): Promise<IDBDatabase> {
  const req = indexedDB.open(DB, 1);
  req.onupgradeneeded = (event) => {
    if (!create && event.oldVersion === 0) req.transaction?.abort();
    else req.result.createObjectStore(STORE, { keyPath: "id" });
  };
  return done(req);
}

/** Run one request in a transaction that has committed when this resolves. */
async function inStore<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb(mode === "readwrite");
  try {
    const tx = db.transaction(STORE, mode);
    const result = await done(fn(tx.objectStore(STORE)));
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => {
        resolve();
      };
      tx.onerror = tx.onabort = () => {
        reject(tx.error ?? new Error("IndexedDB"));
      };
    });
    return result;
  } finally {
    db.close();
  }
}

/** Every stored passkey (none when this browser has no database or refuses IndexedDB). */
async function stored(): Promise<PasskeyRecord[]> {
  if (typeof indexedDB === "undefined") return [];
  try {
    const all = await inStore("readonly", (s) => s.getAll());
    return all.filter(isRecord);
  } catch {
    return [];
  }
}

const keep = (record: PasskeyRecord): Promise<IDBValidKey> => inStore("readwrite", (s) => s.put(record));

async function removeRecord(id: string): Promise<void> {
  await inStore("readwrite", (s) => s.delete(id));
  if ((await stored()).length === 0) await done(indexedDB.deleteDatabase(DB));
}

/** Show "Unlock with a passkey" when this browser holds one and can ask for it. */
export async function showPasskeyUnlock(): Promise<void> {
  const usable = typeof PublicKeyCredential !== "undefined" && (await stored()).length > 0;
  $("passkey-unlock").hidden = !usable;
}

/**
 * Ask the stored passkeys for a PRF output and open the matching wrap.
 * @throws {PasskeyError} unavailable | refused (cancelled, or no stored passkey answered) | no_prf | wrong
 */
export async function passkeyKey(): Promise<MemberKey> {
  const records = await stored();
  if (records.length === 0) throw new PasskeyError("refused");
  const answer = await passkeyPrf(records.map((r) => fromB64u(r.id)));
  try {
    const record = records.find((r) => r.id === b64u(answer.id));
    if (!record) throw new PasskeyError("wrong");
    const key = await openWrap(record.wrap, answer.prf);
    // The PRF output proves the recipient: one written in by anyone else
    // would receive the next rotation's key.
    if (key.member !== record.member || record.recipient !== (await passkeyRecipient(answer.prf)))
      throw new PasskeyError("wrong");
    // A record kept before tags, or relabelled: the PRF output vouches for it now.
    if (!recordTagValid(key, record, record.tag))
      await keep({ ...record, tag: recordTag(key, record) }).catch(() => undefined);
    return key;
  } catch (err) {
    if (err instanceof KeyFileLocked || err instanceof KeyFileInvalid) throw new PasskeyError("wrong");
    throw err;
  } finally {
    answer.prf.fill(0);
  }
}

const say = (key: string | null, args?: Record<string, string>): void => {
  setAlert($("passkeys-status"), i18n(), key, args);
};

/** This member's passkeys on the Team page, each with a Remove button. */
export async function showPasskeys(): Promise<void> {
  if (!unlocked()) return;
  const member = current().key.member;
  const mine = (await stored()).filter((r) => r.member === member);
  const list = $("passkeys-list");
  list.replaceChildren(
    ...mine.map((r, i) => {
      const name = el("bdi", { id: `passkey-name-${i}` }, plainLabel(r.label));
      const remove = el("button", { type: "button", "aria-describedby": name.id }, tr("console.passkeys.remove"));
      remove.addEventListener("click", () => void removePasskey(r));
      const added = el("span", { class: "small" }, tr("console.passkeys.added_on", { date: r.added }));
      return el("li", { dataset: { passkey: r.id } }, name, " ", added, " ", remove);
    }),
  );
  $("passkeys-none").hidden = mine.length > 0;
  i18n().apply(list);
}

async function removePasskey(record: PasskeyRecord): Promise<void> {
  try {
    await removeRecord(record.id);
    say("console.passkeys.removed", { name: plainLabel(record.label) });
  } catch {
    say("console.error.unexpected");
  }
  await Promise.all([showPasskeys(), showPasskeyUnlock()]);
}

/** Create a passkey, seal the unlocked key to it, check the wrap opens, and keep it. */
async function addPasskey(): Promise<void> {
  const label = plainLabel(input("passkey-label").value);
  if (!label) {
    say("console.passkeys.label_missing");
    return;
  }
  const key = current().key;
  $("passkey-add", HTMLButtonElement).disabled = true;
  say("console.passkeys.adding");
  try {
    const answer = await createPasskey(label);
    const recipient = await passkeyRecipient(answer.prf);
    const wrap = await sealWrap(key, recipient);
    await openWrap(wrap, answer.prf); // never keep a wrap that does not open
    answer.prf.fill(0);
    const record = { id: b64u(answer.id), member: key.member, label, added: todayUtc(), recipient, wrap };
    await keep({ ...record, tag: recordTag(key, record) });
    input("passkey-label").value = "";
    say("console.passkeys.added", { name: label });
  } catch (err) {
    const failure = err instanceof PasskeyError ? err.failure : "refused";
    say(failure === "refused" ? "console.passkeys.refused" : `console.unlock.passkey_${failure}`);
  } finally {
    $("passkey-add", HTMLButtonElement).disabled = false;
  }
  await Promise.all([showPasskeys(), showPasskeyUnlock()]);
}

/**
 * After a key rotation, reseal this member's wraps to their recipients: no
 * passkey prompt needed. Only records whose tag the old key made are
 * resealed; any other is deleted unsealed and the member told.
 */
async function reseal(key: MemberKey, old: MemberKey): Promise<void> {
  let refused = false;
  try {
    for (const record of (await stored()).filter((r) => r.member === key.member)) {
      if (!recordTagValid(old, record, record.tag)) {
        refused = true;
        await removeRecord(record.id);
        continue;
      }
      const wrap = await sealWrap(key, record.recipient);
      await keep({ ...record, wrap, tag: recordTag(key, record) });
    }
  } catch {
    refused = true;
  }
  if (refused) say("console.passkeys.reseal_failed");
  await Promise.all([showPasskeys(), showPasskeyUnlock()]);
}

export function initPasskeys(): void {
  $("passkey-add-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void addPasskey();
  });
  onRekey((key, old) => void reseal(key, old));
  void showPasskeyUnlock();
}

export function clearPasskeys(): void {
  $("passkeys-list").replaceChildren();
  say(null);
  void showPasskeyUnlock();
}
