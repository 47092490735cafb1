// A tiny CLI over the npm `age-encryption` package (typage) so the Python
// tests can check interoperability both ways. Reads stdin, writes stdout.
//
//   node typage_cli.mjs keygen x25519|hybrid        -> identity \n recipient
//   node typage_cli.mjs recipient IDENTITY          -> recipient
//   node typage_cli.mjs encrypt [--armor] [--passphrase P [--work-factor N]] [RECIPIENT...]
//   node typage_cli.mjs decrypt [--passphrase P] [IDENTITY...]
import * as age from "age-encryption";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

function options(args) {
  const out = { positional: [], armor: false, passphrase: null, workFactor: null };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--armor") out.armor = true;
    else if (args[i] === "--passphrase") out.passphrase = args[++i];
    else if (args[i] === "--work-factor") out.workFactor = Number(args[++i]);
    else out.positional.push(args[i]);
  }
  return out;
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const opts = options(rest);
  if (command === "keygen") {
    const identity = opts.positional[0] === "hybrid"
      ? await age.generateHybridIdentity()
      : await age.generateX25519Identity();
    process.stdout.write(identity + "\n" + (await age.identityToRecipient(identity)) + "\n");
  } else if (command === "recipient") {
    process.stdout.write((await age.identityToRecipient(opts.positional[0])) + "\n");
  } else if (command === "encrypt") {
    const e = new age.Encrypter();
    if (opts.passphrase !== null) {
      e.setPassphrase(opts.passphrase);
      if (opts.workFactor !== null) e.setScryptWorkFactor(opts.workFactor);
    }
    for (const r of opts.positional) e.addRecipient(r);
    const ciphertext = await e.encrypt(await readStdin());
    process.stdout.write(opts.armor ? age.armor.encode(ciphertext) : ciphertext);
  } else if (command === "decrypt") {
    const d = new age.Decrypter();
    if (opts.passphrase !== null) d.addPassphrase(opts.passphrase);
    for (const i of opts.positional) d.addIdentity(i);
    let input = await readStdin();
    const text = new TextDecoder().decode(input.subarray(0, 64));
    if (text.trimStart().startsWith("-----BEGIN")) {
      input = age.armor.decode(new TextDecoder().decode(input));
    }
    process.stdout.write(await d.decrypt(input));
  } else {
    throw new Error("unknown command " + command);
  }
}

main().catch((err) => {
  process.stderr.write(String(err) + "\n");
  process.exit(1);
});
