"""The browser's audit verifier (frontend/src/lib/audit.ts) on the chains
tests/test_audit_forgery.py generates: it refuses every forged chain, accepts
every honest one, and names the same problems at the same entries as
candor/audit.py (protocol §4.6)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from hypothesis import given, settings

from candor.audit import PROBLEMS, verify_entries
from tests.test_audit_forgery import MANIFEST, forged_chains, honest_chains

ROOT = Path(__file__).resolve().parent.parent
_PROBLEM = re.compile(r"entry (\d+): (.*)")
_KINDS = {text: kind for kind, text in PROBLEMS.items()}
# Reads the chains as JSON on stdin, writes verifyAudit's problems for each.
_SCRIPT = """
import { readFileSync } from "node:fs";
import { verifyAudit } from "./frontend/src/lib/audit.ts";
const { manifest, chains } = JSON.parse(readFileSync(0, "utf8"));
const keysOf = (id) => manifest.members.filter((m) => m.id === id)
  .flatMap((m) => [m.signing_key, ...m.old_signing_keys]);
console.log(JSON.stringify(chains.map((c) => verifyAudit(c, keysOf).problems)));
"""


def _python(chain: list[dict[str, Any]]) -> list[dict[str, Any]]:
    problems = []
    for text in verify_entries(chain, MANIFEST).problems:
        match = _PROBLEM.fullmatch(text)
        assert match, text
        problems.append({"seq": int(match.group(1)), "problem": _KINDS[match.group(2)]})
    return problems


def _javascript(chains: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    data = json.dumps({"manifest": MANIFEST, "chains": chains})
    out = subprocess.run(["node", "--import", "tsx", "--input-type=module", "-e", _SCRIPT],
                         input=data, cwd=ROOT, check=True, capture_output=True, text=True)
    result: list[list[dict[str, Any]]] = json.loads(out.stdout)
    return result


def test_the_browser_refuses_every_forged_chain_as_python_does() -> None:
    chains: list[list[dict[str, Any]]] = []

    @settings(max_examples=150, deadline=None, database=None)
    @given(forged_chains())
    def collect(case: tuple[str, Any, Any]) -> None:
        chains.append(case[2])

    collect()
    for chain, problems in zip(chains, _javascript(chains), strict=True):
        assert problems, chain
        assert problems == _python(chain)


def test_the_browser_accepts_every_honest_chain() -> None:
    chains: list[list[dict[str, Any]]] = []

    @settings(max_examples=50, deadline=None, database=None)
    @given(honest_chains())
    def collect(chain: list[dict[str, Any]]) -> None:
        chains.append(chain)

    collect()
    assert _javascript(chains) == [[] for _ in chains]
