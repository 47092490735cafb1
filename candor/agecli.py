"""``candor age``: keygen, encrypt and decrypt age v1 files from the shell.

Reads stdin and writes stdout by default (binary buffers). Every failure
exits non-zero with one line on stderr; a decryption written with ``-o``
appears only once the whole file has authenticated.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import BinaryIO

from candor.age import api, keys
from candor.age.mlkem import MlkemX25519Identity
from candor.age.scrypt import ScryptIdentity, ScryptRecipient
from candor.age.x25519 import X25519Identity
from candor.prompt import PASSPHRASE_ENV, CliError, read_passphrase
from chalicelib.age.errors import AgeError
from chalicelib.age.format import Stanza
from chalicelib.age.recipient_types import SCRYPT

_PROG = "candor age"


def _read_passphrase(confirm: bool) -> str:
    return read_passphrase(confirm=confirm)


class _PassphraseOnDemand:
    """Asks for the passphrase only if the file really is passphrase-encrypted."""

    def __init__(self, ask: Callable[[], str]) -> None:
        self._ask = ask

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        if not any(s.type == SCRYPT for s in stanzas):
            return None
        return ScryptIdentity(self._ask()).unwrap(stanzas)


def _open_input(path: str | None) -> BinaryIO:
    if path is None or path == "-":
        return sys.stdin.buffer
    return open(path, "rb")


def _read_lines(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]


def _keygen(args: argparse.Namespace) -> int:
    identity = MlkemX25519Identity.generate() if args.pq else X25519Identity.generate()
    recipient = identity.recipient().encode()
    text = f"# public key: {recipient}\n{identity.encode()}\n"
    if args.output is None:
        sys.stdout.write(text)
        return 0
    # O_EXCL: never overwrite an existing key; 0600: a secret key file.
    fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    print(f"Public key: {recipient}", file=sys.stderr)
    return 0


def _recipients(args: argparse.Namespace) -> list[api.Recipient]:
    strings = list(args.recipient) + [r for f in args.recipients_file for r in _read_lines(f)]
    if args.passphrase:
        if strings:
            raise CliError("-p/--passphrase cannot be combined with -r or -R")
        return [ScryptRecipient(_read_passphrase(confirm=True))]
    if not strings:
        raise CliError("give at least one -r RECIPIENT, -R FILE or -p")
    try:
        return [keys.parse_recipient(s) for s in strings]
    except ValueError:
        raise CliError("invalid recipient") from None


def _encrypt(args: argparse.Namespace) -> int:
    recipients = _recipients(args)
    if args.output is None and not args.armor and sys.stdout.isatty():
        raise CliError("refusing to write binary to a terminal; use -a or -o")
    with _open_input(args.input) as src:
        if args.output is None:
            api.encrypt(recipients, src, sys.stdout.buffer, armor=args.armor)
            sys.stdout.buffer.flush()
        else:
            api.encrypt_file(recipients, src, args.output, armor=args.armor)
    return 0


def _identities(args: argparse.Namespace) -> list[api.Identity]:
    if not args.identity:
        return [_PassphraseOnDemand(lambda: _read_passphrase(confirm=False))]
    identities: list[api.Identity] = []
    for path in args.identity:
        try:
            with open(path, encoding="utf-8") as f:
                identities += keys.parse_identities_file(f.read())
        except ValueError as e:
            raise CliError(f"{path}: {e}") from None
    return identities


def _decrypt(args: argparse.Namespace) -> int:
    identities = _identities(args)
    with _open_input(args.input) as src:
        if args.output is None:
            api.decrypt(identities, src, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            api.decrypt_file(identities, src, args.output)
    return 0


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except AgeError:
            message = "cannot decrypt: no identity matched, or the file is damaged or was altered"
        except (CliError, ValueError) as e:
            message = str(e)
        except OSError as e:
            message = f"{e.filename or 'I/O'}: {e.strerror or e}"
        print(f"{_PROG}: error: {message}", file=sys.stderr)
        return 1

    return run


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``age keygen|encrypt|decrypt``; each sets ``func(args) -> int``."""
    age = sub.add_parser("age", help="encrypt and decrypt age files", description=__doc__)
    commands = age.add_subparsers(dest="age_command", required=True)

    keygen = commands.add_parser("keygen", help="generate an identity")
    keygen.add_argument("--pq", action="store_true", help="post-quantum hybrid (age1pq1…)")
    keygen.add_argument("-o", "--output", metavar="FILE", help="write to a new file (mode 0600)")
    keygen.set_defaults(func=_guarded(_keygen))

    encrypt = commands.add_parser("encrypt", help="encrypt to recipients or a passphrase")
    encrypt.add_argument("-r", "--recipient", action="append", default=[], metavar="RECIPIENT")
    encrypt.add_argument("-R", "--recipients-file", action="append", default=[], metavar="FILE")
    encrypt.add_argument(
        "-p", "--passphrase", action="store_true", help=f"use a passphrase (${PASSPHRASE_ENV})"
    )
    encrypt.add_argument("-a", "--armor", action="store_true", help="ASCII armor")
    encrypt.add_argument("-o", "--output", metavar="OUT")
    encrypt.add_argument("input", nargs="?", metavar="IN")
    encrypt.set_defaults(func=_guarded(_encrypt))

    decrypt = commands.add_parser("decrypt", help="decrypt (armored or binary)")
    decrypt.add_argument("-i", "--identity", action="append", default=[], metavar="IDENTITY_FILE")
    decrypt.add_argument("-o", "--output", metavar="OUT")
    decrypt.add_argument("input", nargs="?", metavar="IN")
    decrypt.set_defaults(func=_guarded(_decrypt))
