"""The age v1 header, as far as the server reads it (C2SP age specification).

Everything under ``chalicelib/`` ships to Lambda, and the Lambda must never
load identity parsing or decryption (docs/architecture.md rule 7): this
package holds only the header format, the recipient type names, bech32 and
the errors. Identities, encryption and decryption live in ``candor.age``.
This package deliberately imports nothing. Import the module you need:

* ``chalicelib.age.validate`` -- header-only checks of a sealed blob;
* ``chalicelib.age.recipient_types`` -- ``recipient_type`` of a recipient string.
"""
