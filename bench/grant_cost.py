"""What a grant costs (issue 12, protocol §4.4 "Grants"): the time and the
bytes stored to give a member who joined later a case holding one attachment
of 1 MiB, then one of 1 GiB (1008 MiB: the largest that seals under the
default 1 GiB limit). A grant is one new age header per blob, and the
granting client reads an attachment only up to the end of its header, so the
two figures should be within noise of each other.

Runs the API in-process on a local data directory (tests/support's team);
the attachment is sealed as a stream into a temporary file, never held in
memory::

    .venv/bin/python bench/grant_cost.py [--big-mib 1008] [--runs 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from candor import grants, reporter, roster, teamops  # noqa: E402
from candor import keyfile as kf  # noqa: E402
from candor.age import api as age  # noqa: E402
from candor.age.keys import parse_recipient  # noqa: E402
from candor.client import ApiClient  # noqa: E402
from candor.padding import padme  # noqa: E402
from chalicelib.manifest import Manifest  # noqa: E402
from chalicelib.store import keys  # noqa: E402
from chalicelib.store.local import LocalCaseStore  # noqa: E402
from tests.support.team import Api, make_api, make_team  # noqa: E402

MiB = 1024 * 1024


class Zeroes:
    """``size`` zero bytes as a stream: the padded plaintext of a file of zeroes."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return bytes(n)


def _sealed_attachment(api: Api, size: int, recipients: list[str]) -> dict[str, Any]:
    """Seal ``size`` bytes as a stream, upload them to the local store, and
    return the report's entry for them."""
    with tempfile.TemporaryFile(dir=api.store.layout.root) as f:
        plaintext = cast(BinaryIO, Zeroes(padme(max(size, 4096))))  # read() is all encrypt uses
        age.encrypt([parse_recipient(r) for r in recipients], plaintext, f)
        sealed_size = f.tell()
        f.seek(0)
        digest = _sha256(f)
        announced = api.anonymous.call("POST", "/v1/attachments", {"size": sealed_size},
                                       signed=False)
        url = urlsplit(announced["upload"]["url"])
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        f.seek(0)
        api.store.receive_upload(url.path.rsplit("/", 1)[-1], sealed_size, int(q["expires"]),
                                 q["sig"], f, sealed_size)
    return {"id": announced["id"], "name": "evidence.bin", "type": "application/octet-stream",
            "size": size, "sha256": digest}


def _sha256(f: BinaryIO) -> str:
    h = hashlib.sha256()
    while block := f.read(1 << 20):
        h.update(block)
    return h.hexdigest()


def _file_case(api: Api, size: int) -> str:
    """A report with one attachment of ``size`` bytes; the new case's id."""
    def seal_evidence(_: Any, __: Any, recipients: list[str]) -> list[dict[str, Any]]:
        return [_sealed_attachment(api, size, recipients)]

    real, reporter.seal_evidence = reporter.seal_evidence, seal_evidence  # type: ignore[assignment]
    try:
        admin = api.as_member(api.team.admin)
        before = {c["id"] for c in admin.call("GET", "/v1/team/cases")["cases"]}
        reporter.submit(api.anonymous, api.team.manifest, {"summary": f"{size} bytes"},
                        files=[reporter.Evidence("evidence.bin", b"")])
        (case_id,) = {c["id"] for c in admin.call("GET", "/v1/team/cases")["cases"]} - before
        return str(case_id)
    finally:
        reporter.seal_evidence = real


def _newcomer(api: Api) -> kf.KeyFile:
    """A member added and published after the reports were filed."""
    key = kf.create_keyfile(api.transport.base_url)
    admin = api.as_member(api.team.admin)
    admin.call("POST", "/v1/team/members", kf.public_card(key, "Hedy Lamarr", "", "reviewer"))
    current = roster.next_manifest(cast(Manifest, api.team.manifest),
                                   admin.call("GET", "/v1/team/members")["members"],
                                   api.ctx.today())
    admin.call("PUT", "/v1/team/manifest", roster.sign_manifest(
        current, api.team.admin.id, api.team.admin.key.signing_seed))
    return key


def _stored(api: Api, case_id: str, member: str) -> int:
    """Bytes a grant stores: its headers and its record, as JSON."""
    items = [*api.store.query(keys.grant_headers(case_id, member)),
             api.store.get(keys.grant(case_id, member))]
    return sum(len(json.dumps(i.data)) for i in items if i is not None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # 1008 MiB pads to itself and seals to just under the default 1 GiB limit
    # (padding rounds up to 16 MiB steps there, and STREAM adds 16 bytes a chunk).
    parser.add_argument("--big-mib", type=int, default=1008)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    team = make_team()
    with tempfile.TemporaryDirectory() as tmp:
        api = make_api(LocalCaseStore(Path(tmp) / "data"), team, time)
        sizes = [MiB, args.big_mib * MiB]
        cases = {size: [_file_case(api, size) for _ in range(args.runs)] for size in sizes}
        hedy = _newcomer(api)
        grace = next(m for m in team.members if m.name.startswith("Grace"))
        s = teamops.Session(ApiClient(api.transport, grace.key, clock=time.time), grace.key,
                            team.manifest)
        results = {}
        for size in sizes:
            seconds = []
            for case_id in cases[size]:
                start = time.perf_counter()
                grants.grant(s, case_id, hedy.member)
                seconds.append(time.perf_counter() - start)
            stored = _stored(api, cases[size][0], hedy.member)
            results[size] = (statistics.median(seconds), stored)
            print(f"attachment {size // MiB:>5} MiB: grant {results[size][0] * 1000:7.1f} ms "
                  f"(median of {args.runs}), {stored} bytes stored")
        (small_t, small_b), (big_t, big_b) = results[sizes[0]], results[sizes[1]]
        print(f"ratio big/small: time {big_t / small_t:.2f}, bytes {big_b / small_b:.3f}")
        # One header per blob either way: the sizes differ by a few digits at most.
        assert abs(big_b - small_b) < 64, "bytes stored depend on the attachment's size"


if __name__ == "__main__":
    main()
