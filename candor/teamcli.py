"""Team commands (members, keys, manifest, cases, audit): see add_commands."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    del sub
