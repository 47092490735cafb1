"""age encryption for the clients: identities, decryption, encryption, armor.

The twin of ``chalicelib.age``, which keeps only what the Lambda needs to
check a sealed blob's header (format, recipient types, bech32, errors). This
package never ships to Lambda (docs/architecture.md rule 7). It deliberately
imports nothing, so ``candor age`` loads only the modules it uses:

* ``candor.age.api`` -- ``encrypt`` / ``decrypt``;
* ``candor.age.keys`` -- ``recipient_type`` and identity/recipient parsing;
* ``candor.age.x25519``, ``candor.age.mlkem``, ``candor.age.scrypt`` -- the
  recipient and identity types.
"""
