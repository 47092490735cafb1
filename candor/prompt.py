"""What every command shares: the one-line failure and the passphrase prompt.

Kept free of heavy imports so that ``candor age`` starts fast.
"""

from __future__ import annotations

import getpass
import os

PASSPHRASE_ENV = "CANDOR_PASSPHRASE"  # noqa: S105 -- a variable name, not a secret


class CliError(Exception):
    """A command could not do its job; the message is the one line shown."""


def read_passphrase(*, confirm: bool, min_length: int = 1) -> str:
    """From ``CANDOR_PASSPHRASE`` (scripts, tests) or a prompt (people).

    Raises CliError when there is no terminal, the two entries differ, or
    the passphrase is shorter than ``min_length``.
    """
    env = os.environ.get(PASSPHRASE_ENV)
    if env is not None:
        return env
    try:
        first = getpass.getpass("Passphrase: ")
        if confirm and getpass.getpass("Confirm passphrase: ") != first:
            raise CliError("passphrases do not match")
    except (EOFError, OSError):
        raise CliError(f"no terminal to ask for a passphrase; set {PASSPHRASE_ENV}") from None
    if len(first) < min_length:
        raise CliError(f"use a passphrase of at least {min_length} characters")
    return first
