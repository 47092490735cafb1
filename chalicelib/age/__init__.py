"""The age v1 file format (C2SP age specification), on pyca/cryptography.

This package deliberately imports nothing: everything under ``chalicelib/``
ships to Lambda, and the Lambda must never load identity parsing or
decryption (docs/architecture.md rule 7). Import the module you need:

* ``chalicelib.age.validate`` -- header-only checks for the server;
* ``chalicelib.age.keys`` -- ``recipient_type`` and key parsing;
* ``chalicelib.age.api`` -- ``encrypt`` / ``decrypt`` (clients only).
"""
