"""The local index keeps no remnant of what it overwrote or deleted once the
hourly sweep ran (retired receipts stay unlinked, purged cases gone)."""

from __future__ import annotations

from pathlib import Path

from chalicelib.store.base import ABSENT, Delete, Put
from chalicelib.store.local import LocalCaseStore


def test_overwritten_and_deleted_items_leave_no_bytes_behind(tmp_path: Path) -> None:
    store = LocalCaseStore(tmp_path)
    secret = "c_LINKED-CASE-ID-SECRET12"
    store.transact([Put("receipt#t", "receipt", {"case": secret}, expect=ABSENT)])
    store.transact([Put("purged", "x", {"text": "PURGED-CONTENT-MARKER"}, expect=ABSENT)])
    store.transact([Put("receipt#t", "receipt", {"case": None}, expect=1)])
    store.transact([Delete("purged", "x")])
    store.sweep(0)

    def everything() -> bytes:
        return b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())

    data = everything()
    assert secret.encode() not in data
    assert b"PURGED-CONTENT-MARKER" not in data
