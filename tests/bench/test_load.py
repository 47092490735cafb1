"""``bench/load.py`` at a tiny size, so the bench cannot rot: its ledger
reconciles with storage and the API, a lost write is found, and the report
keeps its shape. Timing figures are printed, never asserted (a shared
machine makes them noise)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from chalicelib.store import keys

ROOT = Path(__file__).resolve().parents[2]


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("load", ROOT / "bench" / "load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["load"] = module
    spec.loader.exec_module(module)
    return module


bench = _load_bench()
TINY = bench.Workload(reporters=2, members=1, cases=1, visits=1, reads=2, seconds=60)


@pytest.fixture(scope="module")
def result() -> Any:
    return bench.run("serve", TINY, baseline_n=4, connections=2)


def test_every_acknowledged_write_is_stored_and_nothing_else(result: Any) -> None:
    assert [c.source for c in result.checks] == ["API", "storage"]
    assert [p for c in result.checks for p in c.problems] == []
    storage = result.checks[1].checked
    # Two reports, each visited once: one rotation and one message each, on
    # top of the comparison's submissions and rotations; every attachment
    # and audited team request was checked.
    assert storage["cases"] == 2 + 4 + bench.api_latency.WARMUP
    assert storage["rotations"] >= 2 and storage["messages"] >= 2
    assert storage["attachments"] == sum(len(c.attachments) for c in result.ledger.cases)
    assert storage["audited requests"] == len(result.ledger.audited) >= TINY.reads
    assert bench.errors_by_kind(result.recorder, result.side) == {}


def test_the_report_keeps_its_shape(result: Any) -> None:
    text = "\n".join(bench.report(result))
    print(text)
    assert re.search(r"^route +ok +429 +errors +per s +p50 ms +p99 ms$", text, re.M)
    for route in ("POST /v1/reports", "PUT /v1/uploads/{attachment}", "POST /v1/followup/rotate",
                  "POST /v1/followup/messages", "GET /v1/team/cases/{case}/blobs/{blob}"):
        assert re.search(rf"^{re.escape(route)} +\d+ +0 +0 +[\d.]+ +[\d.]+ +[\d.]+$", text, re.M)
    assert "errors by kind: none" in text
    assert re.search(r"^all +\d+ +[\d.]+ +[\d.]+ +[\d.]+$", text, re.M)  # the comparison
    assert re.search(r"^ledger: \d+ acknowledged writes, 0 requests of unknown fate", text, re.M)
    assert re.search(r"^reconciliation \(storage\): \d+ cases, .*; 0 problem\(s\)$", text, re.M)
    assert re.search(r"^  errors other than a clean 429 / requests: 0/\d+ \(target 0\): met$",
                     text, re.M)
    assert re.search(r"^  ledger problems / acknowledged writes: 0/\d+ \(target 0\): met$",
                     text, re.M)
    assert re.search(r"^  serve rate / in-process rate per core: [\d.]+ \(target >= 0\.70\): "
                     r"(met|MISSED)$", text, re.M)


def _lose_writes(target: Any, ledger: Any) -> None:
    """Delete one acknowledged reporter message from the index, as a lost
    write would leave it, and one claimed attachment's file."""
    case = next(c for c in ledger.cases if c.messages)
    store = target.open_store()
    case_id = store.get(keys.receipt(case.tokens[-1])).data["case"]
    store.transact([keys.entry(case_id, next(iter(case.messages))).delete()])
    (store.blobs / case.attachments[0]).unlink()


def test_lost_writes_are_found_in_storage_and_through_the_api() -> None:
    lost = bench.run("serve", TINY, baseline_n=0, connections=1, tamper=_lose_writes)
    api, storage = lost.checks
    assert any(re.fullmatch(r"missing: case c_\S+: message b_\S+", p) for p in api.problems)
    assert any("not in the reporter's thread" in p for p in api.problems)
    assert any(re.fullmatch(r"missing: report \w+: reporter message b_\S+", p)
               for p in storage.problems)
    assert any("message numbering" in p for p in storage.problems)
    assert any(re.fullmatch(r"missing: report \w+: attachment a_\S+", p)
               for p in storage.problems)
    assert any(re.fullmatch(r"half-written: case c_\S+: attachment a_\S+", p)
               for p in storage.problems)
    assert not bench.met(lost)
    assert "ledger problems / acknowledged writes: 0/" not in "\n".join(bench.report(lost))


@pytest.mark.slow
def test_the_packaged_lambda_target_reconciles() -> None:
    """``--target lambda``: the same load and checks against the packaged
    handler with DynamoDB and S3 on moto's server."""
    run = bench.run("lambda", TINY, baseline_n=0, connections=1)
    assert [p for c in run.checks for p in c.problems] == []
    assert run.checks[1].checked["cases"] == 2 and run.checks[1].checked["messages"] >= 2
    assert bench.errors_by_kind(run.recorder, run.side) == {}
    assert re.search(r"^PUT storage:…/\{attachment\} +\d+ +0 +0 ", "\n".join(bench.report(run)),
                     re.M)
