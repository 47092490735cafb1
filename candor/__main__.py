"""``candor``: the operator's and team member's command line.

All I/O and exit codes live here and in the ``*cli`` modules; the logic
they call is pure. Failures print one line on stderr and exit non-zero.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from candor import agecli, opscli, teamcli


class CommandFailed(Exception):
    """A command could not do its job; the message is the one line shown."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="candor",
        description="Candor: anonymous, end-to-end encrypted incident intake.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    opscli.add_commands(sub)
    teamcli.add_commands(sub)
    agecli.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("candor: interrupted", file=sys.stderr)
        return 130
    except (opscli.CliError, OSError, ValueError) as exc:
        print(f"candor: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
