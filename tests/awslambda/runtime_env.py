"""A Python 3.13 environment that holds what Lambda's python3.13 runtime
provides and nothing else: the runtime interface client (`awslambdaric`, as
in AWS's base images) and an SDK. The SDK is deliberately an OLD one,
boto3/botocore 1.34, which rejects S3 conditional writes (`IfNoneMatch`):
a function that did not bundle its own botocore fails here, as it would on a
runtime that ships an older SDK than the code needs.

It is made once and kept under `build/lambda-runtime/` (gitignored); pip's
cache keeps the wheels.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.awslambda.package import ROOT

RUNTIME_SDK = "1.34.162"
RUNTIME_PACKAGES = (
    "awslambdaric==4.2.2",
    f"boto3=={RUNTIME_SDK}",
    f"botocore=={RUNTIME_SDK}",
)
CACHE = ROOT / "build" / "lambda-runtime"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One maker at a time (pytest-xdist workers share the cache)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def runtime_python() -> Path:
    """The runtime environment's interpreter, made on first use."""
    spec = "\n".join(RUNTIME_PACKAGES) + "\n"
    venv = CACHE / ("python3.13-sdk-" + RUNTIME_SDK)
    done = venv / ".complete"
    python = venv / "bin" / "python"
    with _locked(CACHE / ".lock"):
        if done.is_file() and done.read_text() == spec and python.exists():
            return python
        shutil.rmtree(venv, ignore_errors=True)
        # The base interpreter, not this venv's: the new one inherits nothing.
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=300)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--only-binary=:all:", *RUNTIME_PACKAGES],
            check=True, timeout=600,
        )  # fmt: skip
        done.write_text(spec)
    return python
