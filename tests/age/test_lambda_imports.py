"""The Lambda must never load identity parsing or decryption (docs/architecture.md rule
7): importing the validator, ``recipient_type`` or the app pulls in no key,
scrypt, STREAM or API module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = [f"chalicelib.age.{m}" for m in ("x25519", "mlkem", "scrypt", "api", "stream")]


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def test_package_init_imports_nothing() -> None:
    loaded = _loaded_after("import chalicelib.age")
    assert not {m for m in loaded if m.startswith("chalicelib.age.")}


def test_validator_is_light() -> None:
    loaded = _loaded_after("import chalicelib.age.validate")
    assert not loaded & {*FORBIDDEN, "candor.age.keys"}


def test_recipient_type_is_light() -> None:
    loaded = _loaded_after(
        "from candor.age.keys import recipient_type\n"
        "recipient_type('age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj')"
    )
    assert not loaded & set(FORBIDDEN)


@pytest.mark.skipif(not (ROOT / "app.py").exists(), reason="no app.py yet")
def test_app_is_light() -> None:
    loaded = _loaded_after("import app")
    assert not loaded & set(FORBIDDEN)
