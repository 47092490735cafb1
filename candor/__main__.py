"""``candor``: the operator's and team member's command line.

All I/O and exit codes live here and in the ``*cli`` modules; the logic
they call is pure. Failures print one line on stderr and exit non-zero.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from candor.prompt import CliError

# ``candor age`` is used in pipelines on large files, where start-up counts:
# it loads only its own module, not the team and server commands.
_MODULES = (
    "candor.opscli", "candor.teamcli", "candor.rostercli", "candor.releasecli", "candor.agecli",
    "candor.exportcheck", "candor.noticecli", "candor.reportcli", "candor.drillcli",
)


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="candor",
        description="Candor: anonymous, end-to-end encrypted incident intake.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = ("candor.agecli",) if list(argv[:1]) == ["age"] else _MODULES
    for name in modules:
        importlib.import_module(name).add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("candor: interrupted", file=sys.stderr)
        return 130
    except (CliError, OSError, ValueError) as exc:
        print(f"candor: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
