"""Throughput of Candor's age module against other tools, in one run.

    .venv/bin/python bench/age_throughput.py [--size-mib 256] [--runs 3]

Encrypts and decrypts the same random file with: our ``api`` in-process, our
CLI (``candor age`` through a minimal main), Debian's ``age`` (Go), and GnuPG
(public key, AES-256, no compression, ephemeral key in a temporary
GNUPGHOME); and compares with the one-core ChaCha20-Poly1305 limit from
``openssl speed``. Every figure is the best of ``--runs``. Both wall-clock
and CPU (user + system) throughput are reported; on a shared machine the CPU
figures are the stable ones, and ``openssl speed`` counts CPU time too.
Also prints the peak RSS of our CLI decrypting the file.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chalicelib.age import api  # noqa: E402 -- after the path setup above
from chalicelib.age.x25519 import X25519Identity  # noqa: E402

MIB = 1 << 20
CLI_MAIN = """
import argparse, sys
from candor.agecli import add_commands
parser = argparse.ArgumentParser(prog="candor")
add_commands(parser.add_subparsers(required=True))
args = parser.parse_args()
code = args.func(args)
with open("/proc/self/status") as status:
    print(next(ln for ln in status if ln.startswith("VmHWM:")), end="", file=sys.stderr)
sys.exit(code)
"""


@dataclass
class Timing:
    wall: float
    cpu: float


def _cpu() -> float:
    self_, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN
    )
    return sum(r.ru_utime + r.ru_stime for r in (self_, children))


def best_of(runs: int, action: Callable[[], object]) -> Timing:
    best = Timing(float("inf"), float("inf"))
    for _ in range(runs):
        wall, cpu = time.perf_counter(), _cpu()
        action()
        best = Timing(min(best.wall, time.perf_counter() - wall), min(best.cpu, _cpu() - cpu))
    return best


def run(*cmd: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(cmd, check=True, capture_output=True, env=env)


def openssl_chacha_limit() -> float:
    """Bytes per CPU second, 16384-byte column of ``openssl speed``."""
    out = run("openssl", "speed", "-evp", "chacha20-poly1305", "-seconds", "1").stdout.decode()
    row = next(ln for ln in out.splitlines() if ln.lower().startswith("chacha20-poly1305"))
    return float(re.findall(r"([\d.]+)k", row)[-1]) * 1000


def measure(size_mib: int, runs: int, tmp: Path) -> dict[str, dict[str, Timing]]:
    plain, sealed, out = tmp / "plain", tmp / "sealed", tmp / "out"
    with plain.open("wb") as f:
        for _ in range(size_mib):
            f.write(os.urandom(MIB))
    results: dict[str, dict[str, Timing]] = {}

    identity = X25519Identity.generate()
    key_file = tmp / "ours.key"
    key_file.write_text(identity.encode() + "\n")

    def api_encrypt() -> None:
        with plain.open("rb") as src, sealed.open("wb") as dst:
            api.encrypt([identity.recipient()], src, dst)

    def api_decrypt() -> None:
        with sealed.open("rb") as src, out.open("wb") as dst:
            api.decrypt([identity], src, dst)

    results["candor api"] = {"enc": best_of(runs, api_encrypt), "dec": best_of(runs, api_decrypt)}
    assert out.read_bytes() == plain.read_bytes()

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cli = [sys.executable, "-c", CLI_MAIN, "age"]
    recipient = identity.recipient().encode()
    results["candor CLI"] = {
        "enc": best_of(
            runs, lambda: run(*cli, "encrypt", "-r", recipient, "-o", str(sealed), str(plain), env=env)
        ),
        "dec": best_of(
            runs, lambda: run(*cli, "decrypt", "-i", str(key_file), "-o", str(out), str(sealed), env=env)
        ),
    }
    peak = run(*cli, "decrypt", "-i", str(key_file), "-o", str(out), str(sealed), env=env).stderr
    print(f"candor CLI decrypt peak RSS: {peak.decode().split()[1]} KiB")

    if shutil.which("age"):
        age_key = tmp / "age.key"
        run("age-keygen", "-o", str(age_key))
        age_recipient = run("age-keygen", "-y", str(age_key)).stdout.decode().strip()
        age_sealed = tmp / "sealed.age"
        results["age (Go)"] = {
            "enc": best_of(
                runs, lambda: run("age", "-r", age_recipient, "-o", str(age_sealed), str(plain))
            ),
            "dec": best_of(
                runs, lambda: run("age", "-d", "-i", str(age_key), "-o", str(out), str(age_sealed))
            ),
        }

    if shutil.which("gpg"):
        home = tmp / "gnupg"
        home.mkdir(mode=0o700)
        genv = {**os.environ, "GNUPGHOME": str(home)}
        uid = "bench <bench@example.invalid>"
        run("gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
            "--quick-gen-key", uid, "rsa3072", "default", "never", env=genv)  # fmt: skip
        gpg_sealed = tmp / "sealed.gpg"
        base = ["gpg", "--batch", "--yes", "--quiet"]
        results["GnuPG"] = {
            "enc": best_of(runs, lambda: run(
                *base, "--trust-model", "always", "--cipher-algo", "AES256",
                "--compress-algo", "none", "-r", uid, "-o", str(gpg_sealed), "-e", str(plain),
                env=genv)),  # fmt: skip
            "dec": best_of(runs, lambda: run(
                *base, "--pinentry-mode", "loopback", "--passphrase", "",
                "-o", str(out), "-d", str(gpg_sealed), env=genv)),  # fmt: skip
        }
    return results


def report(size_mib: int, results: dict[str, dict[str, Timing]], limit: float) -> None:
    size = size_mib * MIB

    def rate(seconds: float) -> float:
        return size / seconds / MIB

    print(f"\n{size_mib} MiB file; MiB/s (wall) and MiB/s per CPU second")
    print(f"{'tool':<12} {'enc wall':>9} {'enc cpu':>9} {'dec wall':>9} {'dec cpu':>9}")
    for tool, t in results.items():
        enc, dec = t["enc"], t["dec"]
        print(
            f"{tool:<12} {rate(enc.wall):9.0f} {rate(enc.cpu):9.0f} "
            f"{rate(dec.wall):9.0f} {rate(dec.cpu):9.0f}"
        )
    print(f"ChaCha20-Poly1305 one-core limit (openssl speed, 16 KiB): {limit / MIB:.0f} MiB/s")
    ours = results["candor CLI"]
    for other in ("age (Go)", "GnuPG"):
        if other in results:
            for op in ("enc", "dec"):
                wall = results[other][op].wall / ours[op].wall
                cpu = results[other][op].cpu / ours[op].cpu
                print(f"candor CLI {op} vs {other}: {wall:.2f}x wall, {cpu:.2f}x cpu")
    for tool in ("candor api", "candor CLI"):
        for op in ("enc", "dec"):
            share = rate(results[tool][op].cpu) * MIB / limit
            print(f"{tool} {op}: {share:.0%} of the ChaCha20-Poly1305 limit (cpu)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    limit = openssl_chacha_limit()
    with tempfile.TemporaryDirectory(prefix="age-bench-", dir=ROOT / "bench") as tmp:
        results = measure(args.size_mib, args.runs, Path(tmp))
    report(args.size_mib, results, limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
