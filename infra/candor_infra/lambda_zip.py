"""Bytecode compiled ahead of time into the Lambda package.

Lambda's task root is read-only, so Python cannot cache bytecode there:
every cold start compiled every module it imported (Chalice, boto3,
botocore, the app) from source again. And `chalice package` copied the
developer's own `chalicelib/__pycache__` into the zip: bytecode of
whichever Python last ran the tests, stale for any source changed since.

`precompile` rewrites the zip built by `chalice package`: every
`__pycache__` entry it carried is dropped, and each module gets an
unchecked hash-based pyc (PEP 552) for the runtime's Python, which the
interpreter loads without reading or hashing the source. Nothing can
change the source beside it: the package is immutable once deployed.

Stdlib only: the CDK construct (team_capacity.py) and the packaged-Lambda
tests (tests/awslambda/package.py) run it on the same zip.
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import sys
import warnings
import zipfile
from pathlib import Path

RUNTIME = (3, 13)  # settings.py's Lambda runtime, python3.13
_UNCHECKED_HASH = (1).to_bytes(4, "little")  # PEP 552 flags: hash-based, source not checked


def precompile(zip_path: Path) -> int:
    """Rewrite `zip_path` in place with fresh bytecode; return the number of
    modules compiled. Refuses to run under another Python than the
    runtime's: its bytecode would be ignored (another magic number)."""
    if sys.version_info[:2] != RUNTIME:
        wanted = ".".join(map(str, RUNTIME))
        raise RuntimeError(f"the Lambda package must be built with Python {wanted}")
    staged = zip_path.with_name(zip_path.name + ".tmp")
    compiled = 0
    with (
        zipfile.ZipFile(zip_path) as source,
        zipfile.ZipFile(staged, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for info in source.infolist():
            if "__pycache__/" in info.filename or info.filename.endswith((".pyc", ".pyo")):
                continue
            data = source.read(info)
            out.writestr(info, data)
            bytecode = _bytecode(data, info.filename) if info.filename.endswith(".py") else None
            if bytecode is not None:
                cached = importlib.util.cache_from_source(info.filename)
                entry = zipfile.ZipInfo(cached, info.date_time)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = info.external_attr
                out.writestr(entry, bytecode)
                compiled += 1
    os.replace(staged, zip_path)
    return compiled


def _bytecode(source: bytes, filename: str) -> bytes | None:
    """The pyc for one module, or None for a file this Python cannot compile
    (it could not import it either)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # third-party escape-sequence warnings
        try:
            code = compile(source, filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return None
    header = importlib.util.MAGIC_NUMBER + _UNCHECKED_HASH + importlib.util.source_hash(source)
    return header + marshal.dumps(code)
