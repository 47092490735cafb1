"""``candor age`` end to end in subprocesses, through a minimal main (the
team's ``candor/__main__.py`` calls the same ``add_commands``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from candor.age import api, keys
from candor.age.scrypt import ScryptIdentity

ROOT = Path(__file__).resolve().parents[2]
# VmHWM, not ru_maxrss: after fork and exec, ru_maxrss still counts the RSS
# of the (large) pytest process the child was forked from.
MAIN = """
import argparse, sys
from candor.agecli import add_commands
parser = argparse.ArgumentParser(prog="candor")
add_commands(parser.add_subparsers(required=True))
args = parser.parse_args()
code = args.func(args)
sys.stdout.flush()
with open("/proc/self/status") as status:
    peak = next(ln.split()[1] for ln in status if ln.startswith("VmHWM:"))
print("peak_rss_kib", peak, file=sys.__stderr__)
sys.exit(code)
"""


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-c", MAIN, "age", *args]


def run(
    *args: str, stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        cli_command(*args), input=stdin, capture_output=True, env=full_env, cwd=ROOT, check=False
    )


def errors(result: subprocess.CompletedProcess[bytes]) -> list[str]:
    return [ln for ln in result.stderr.decode().splitlines() if not ln.startswith("peak_rss_kib")]


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "member.key"
    result = run("keygen", "--pq", "-o", str(path))
    assert result.returncode == 0, result.stderr
    return path


def _recipient(key_file: Path) -> str:
    return next(ln.split(": ")[1] for ln in key_file.read_text().splitlines() if "public key" in ln)


def test_keygen(key_file: Path, tmp_path: Path) -> None:
    assert key_file.stat().st_mode & 0o777 == 0o600
    (identity,) = keys.parse_identities_file(key_file.read_text())
    assert identity.recipient().encode() == _recipient(key_file)  # type: ignore[attr-defined]
    again = run("keygen", "-o", str(key_file))
    assert again.returncode != 0
    assert len(errors(again)) == 1
    plain = run("keygen")
    assert plain.returncode == 0
    assert b"AGE-SECRET-KEY-1" in plain.stdout


def test_encrypt_decrypt_files_and_pipes(key_file: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"report body\n" * 10000)
    sealed = tmp_path / "sealed.age"
    recipients = tmp_path / "recipients.txt"
    recipients.write_text(f"# team\n{_recipient(key_file)}\n")
    assert run("encrypt", "-R", str(recipients), "-o", str(sealed), str(plain)).returncode == 0
    out = run("decrypt", "-i", str(key_file), str(sealed))
    assert out.returncode == 0
    assert out.stdout == plain.read_bytes()
    armored = run("encrypt", "-a", "-r", _recipient(key_file), stdin=b"piped")
    assert armored.stdout.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----\n")
    back = run("decrypt", "-i", str(key_file), "-o", str(tmp_path / "back"), stdin=armored.stdout)
    assert back.returncode == 0
    assert (tmp_path / "back").read_bytes() == b"piped"


def test_passphrase_from_environment(tmp_path: Path) -> None:
    env = {"CANDOR_PASSPHRASE": "a long team passphrase"}
    sealed = run("encrypt", "-p", stdin=b"key file", env=env)
    assert sealed.returncode == 0
    assert api.decrypt_bytes([ScryptIdentity("a long team passphrase")], sealed.stdout) == (
        b"key file"
    )
    assert run("decrypt", stdin=sealed.stdout, env=env).stdout == b"key file"
    wrong = run("decrypt", stdin=sealed.stdout, env={"CANDOR_PASSPHRASE": "wrong"})
    assert wrong.returncode != 0
    assert len(errors(wrong)) == 1


def test_failures_are_one_line_and_leave_no_output(key_file: Path, tmp_path: Path) -> None:
    sealed = run("encrypt", "-r", _recipient(key_file), stdin=b"x" * 200000).stdout
    tampered = bytearray(sealed)
    tampered[-100] ^= 1
    target = tmp_path / "out"
    cases = [
        run("decrypt", "-i", str(key_file), "-o", str(target), stdin=bytes(tampered)),
        run("decrypt", "-i", str(key_file), "-o", str(target), stdin=sealed[:-1]),
        run("encrypt", "-r", "age1notarecipient", stdin=b"x"),
        run("encrypt", "-p", "-r", _recipient(key_file), stdin=b"x"),
        run("encrypt", stdin=b"x"),
        run("decrypt", "-i", str(tmp_path / "missing"), stdin=sealed),
        run("decrypt", "-i", str(key_file), str(tmp_path / "missing")),
        run("decrypt", stdin=sealed),  # no identity and not a passphrase file
    ]
    for result in cases:
        assert result.returncode != 0
        assert len(errors(result)) == 1, errors(result)
        assert "Traceback" not in result.stderr.decode()
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == []


@pytest.mark.slow
def test_one_gib_streams_in_bounded_memory(key_file: Path, tmp_path: Path) -> None:
    """Encrypt a 1 GiB sparse file into a pipe and decrypt it from the pipe:
    both processes stay under 64 MiB peak RSS."""
    source = tmp_path / "sparse"
    with source.open("wb") as f:
        f.truncate(1 << 30)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    encrypt = subprocess.Popen(
        cli_command("encrypt", "-r", _recipient(key_file), str(source)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    decrypt = subprocess.run(
        [*cli_command("decrypt", "-i", str(key_file)), "-"],
        stdin=encrypt.stdout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        check=False,
    )
    assert encrypt.stdout is not None
    assert encrypt.stderr is not None
    encrypt.stdout.close()
    encrypt_err = encrypt.stderr.read().decode()
    assert encrypt.wait() == 0, encrypt_err
    assert decrypt.returncode == 0, decrypt.stderr
    for err in (encrypt_err, decrypt.stderr.decode()):
        peak_kib = int(err.split("peak_rss_kib")[1].split()[0])
        assert peak_kib < 64 * 1024


def test_candor_age_loads_only_its_own_modules() -> None:
    # `candor age` runs in pipelines, where start-up counts: building its
    # parser through the real main must not load the team, server or roster code.
    probe = (
        "import sys\n"
        "from candor.__main__ import build_parser\n"
        "build_parser(['age']).parse_args(['age', 'keygen'])\n"
        "print('\\n'.join(sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    ours = {m for m in loaded if m.split(".")[0] in ("candor", "chalicelib")}
    cli = {"candor", "candor.__main__", "candor.agecli", "candor.prompt", "chalicelib"}
    others = {m for m in ours - cli if not m.startswith(("candor.age", "chalicelib.age"))}
    assert "candor.agecli" in ours and others == set()
