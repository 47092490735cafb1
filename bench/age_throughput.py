"""Throughput of Candor's age module against other tools, in one run.

    .venv/bin/python bench/age_throughput.py [--size-mib 256] [--runs 3]

Encrypts and decrypts the same random file with our ``api`` in-process, our
CLI (``candor age`` through a minimal main), Debian's ``age`` (Go) and GnuPG
(public key, AES-256, no compression, ephemeral RSA key in a temporary
GNUPGHOME), and compares with the one-core ChaCha20-Poly1305 limit from
``openssl speed``. Operations: ``enc`` and ``dec`` file to file, ``dec>null``
file to /dev/null (no page-cache writes). Every figure is the best of
``--runs``; both wall-clock and CPU (user + system) throughput are shown. On a
shared machine the CPU figures are the stable ones, and ``openssl speed``
counts CPU time too. Also prints the peak RSS of our CLI decrypting.
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

from candor.age import api  # noqa: E402 -- after the path setup above
from candor.age.x25519 import X25519Identity  # noqa: E402

MIB = 1 << 20
OPS = ("enc", "dec", "dec>null")
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


Tool = dict[str, Timing]


def _cpu() -> float:
    usage = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(r.ru_utime + r.ru_stime for r in usage)


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


def _tool(runs: int, encrypt: Callable[[], object], decrypt: Callable[[str], object]) -> Tool:
    return {
        "enc": best_of(runs, encrypt),
        "dec": best_of(runs, lambda: decrypt("out")),
        "dec>null": best_of(runs, lambda: decrypt(os.devnull)),
    }


def measure_candor(runs: int, tmp: Path, plain: Path) -> dict[str, Tool]:
    identity = X25519Identity.generate()
    key_file, sealed = tmp / "candor.key", tmp / "sealed.candor"
    key_file.write_text(identity.encode() + "\n")

    def api_encrypt() -> None:
        with plain.open("rb") as src, sealed.open("wb") as dst:
            api.encrypt([identity.recipient()], src, dst)

    def api_decrypt(out: str) -> None:
        with sealed.open("rb") as src, (tmp / out).open("wb") as dst:
            api.decrypt([identity], src, dst)

    tools = {"candor api": _tool(runs, api_encrypt, api_decrypt)}
    assert (tmp / "out").read_bytes() == plain.read_bytes()

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cli = [sys.executable, "-c", CLI_MAIN, "age"]
    recipient = identity.recipient().encode()

    def cli_encrypt() -> None:
        run(*cli, "encrypt", "-r", recipient, "-o", str(sealed), str(plain), env=env)

    def cli_decrypt(out: str) -> bytes:
        target = out if out == os.devnull else str(tmp / out)
        return run(*cli, "decrypt", "-i", str(key_file), "-o", target, str(sealed), env=env).stderr

    tools["candor CLI"] = _tool(runs, cli_encrypt, cli_decrypt)
    print(f"candor CLI decrypt peak RSS: {cli_decrypt('out').decode().split()[1]} KiB")
    return tools


def measure_age(runs: int, tmp: Path, plain: Path) -> Tool:
    key, sealed = tmp / "age.key", tmp / "sealed.age"
    run("age-keygen", "-o", str(key))
    recipient = run("age-keygen", "-y", str(key)).stdout.decode().strip()
    return _tool(
        runs,
        lambda: run("age", "-r", recipient, "-o", str(sealed), str(plain)),
        lambda out: run("age", "-d", "-i", str(key), "-o", str(tmp / out), str(sealed)),
    )


def measure_gpg(runs: int, tmp: Path, plain: Path) -> Tool:
    home, sealed = tmp / "gnupg", tmp / "sealed.gpg"
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    uid = "bench <bench@example.invalid>"
    gpg = ["gpg", "--batch", "--yes", "--quiet", "--pinentry-mode", "loopback", "--passphrase", ""]
    # "default" makes RSA-3072 with an encryption subkey; no passphrase on it.
    run(*gpg, "--quick-gen-key", uid, "default", "default", "never", env=env)
    encrypt = [*gpg, "--trust-model", "always", "--cipher-algo", "AES256"]
    encrypt += ["--compress-algo", "none", "-r", uid, "-o", str(sealed), "-e", str(plain)]
    return _tool(
        runs,
        lambda: run(*encrypt, env=env),
        lambda out: run(*gpg, "-o", str(tmp / out), "-d", str(sealed), env=env),
    )


def report(size_mib: int, tools: dict[str, Tool], limit: float) -> None:
    def rate(seconds: float) -> float:
        return size_mib / seconds

    print(f"\n{size_mib} MiB file, MiB/s: wall / per CPU second")
    print(f"{'tool':<12}" + "".join(f"{op:>18}" for op in OPS))
    for name, tool in tools.items():
        cells = [f"{rate(tool[op].wall):8.0f} /{rate(tool[op].cpu):6.0f}  " for op in OPS]
        print(f"{name:<12}" + "".join(f"{c:>18}" for c in cells))
    limit_mib = limit / MIB
    print(f"ChaCha20-Poly1305 one-core limit (openssl speed, 16 KiB): {limit_mib:.0f} MiB/s")
    for name in ("candor api", "candor CLI"):
        for other in ("age (Go)", "GnuPG"):
            if other not in tools:
                continue
            ratios = [
                f"{op} {tools[other][op].wall / tools[name][op].wall:.2f}x"
                f" ({tools[other][op].cpu / tools[name][op].cpu:.2f}x CPU)"
                for op in OPS
            ]
            print(f"{name} vs {other}, speed-up wall (CPU): {', '.join(ratios)}")
    for name in ("candor api", "candor CLI"):
        shares = [f"{op} {rate(tools[name][op].cpu) / limit_mib:.0%}" for op in OPS]
        print(f"{name} share of the ChaCha20-Poly1305 limit (CPU): {', '.join(shares)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    limit = openssl_chacha_limit()
    with tempfile.TemporaryDirectory(prefix="age-bench-") as name:
        tmp = Path(name)
        plain = tmp / "plain"
        with plain.open("wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(MIB))
        tools = measure_candor(args.runs, tmp, plain)
        if shutil.which("age"):
            tools["age (Go)"] = measure_age(args.runs, tmp, plain)
        if shutil.which("gpg"):
            tools["GnuPG"] = measure_gpg(args.runs, tmp, plain)
    report(args.size_mib, tools, limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
