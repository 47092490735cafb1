"""What the Lambda package must not hold: client-only code (docs/architecture.md rule 7).

Client-only means: the `candor` package, decryption, identity parsing,
encryption and roster editing. `CLIENT_ONLY` names them once; a package is
checked by file (`client_files`), by a grep of its own source
(`client_names_in_source`), and by importing its `app` with only the
package on the path (`probe`, then `assert_no_client_code`).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.awslambda.package import ROOT

# Functions and classes that only clients may hold, by what they do.
CLIENT_ONLY: dict[str, dict[str, tuple[str, ...]]] = {
    "decryption": {
        "candor.age.api": ("decrypt", "decrypt_bytes", "decrypt_chunks_from", "decrypt_file"),
        "candor.age.stream": ("decrypt_chunks",),
        "candor.age.primitives": ("unwrap_file_key", "check_header_mac", "stream_key"),
    },
    "identity parsing": {
        "candor.age.keys": ("parse_identity", "parse_identities_file"),
        "candor.age.x25519": ("X25519Identity",),
        "candor.age.mlkem": ("MlkemX25519Identity",),
        "candor.age.scrypt": ("ScryptIdentity",),
    },
    # The server never encrypts either (protocol §2.1: it only reads headers).
    "encryption": {
        "candor.age.api": ("encrypt", "encrypt_bytes", "encrypt_file"),
        "candor.age.stream": ("encrypt_chunks",),
        "candor.age.primitives": ("wrap_file_key", "new_file_key"),
        "candor.age.x25519": ("X25519Recipient",),
        "candor.age.mlkem": ("MlkemX25519Recipient",),
        "candor.age.scrypt": ("ScryptRecipient",),
    },
    "roster editing": {
        "candor.roster": (
            "build_member_entry", "unsigned_manifest", "sign_manifest", "manifest_diff",
            "access_recipients", "member_public_keys",
        ),
    },
    # A grant unwraps a blob's file key and wraps it anew (protocol §4.4, "Grants");
    # candor.grants.grant_header is left out: chalicelib.store.keys has a
    # grant_header too, the storage key of the header the server stores.
    "granting": {
        "candor.grants": (
            "new_grant", "proven_access", "access_problems", "check_grantable",
            "attachment_head",
        ),
        "candor.documents": ("with_header",),
    },
}  # fmt: skip
FORBIDDEN_NAMES = sorted(
    name for modules in CLIENT_ONLY.values() for names in modules.values() for name in names
)
CLIENT_PACKAGE = "candor"
# Our own code in the package; everything else in it is a third-party wheel.
SHIPPED_SOURCE = ("app.py", "chalicelib/")

# Run with `python -I`: neither the current directory nor PYTHONPATH is on
# the path, so our code comes from argv[1] only.
PROBE = r"""
import json, sys
root, forbidden, blob = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
sys.path.insert(0, root)
import app
from chalicelib.age.validate import validate_sealed_blob

event = {
    "resource": "/v1/manifest", "path": "/v1/manifest", "httpMethod": "GET",
    "headers": {"Accept": "application/json"}, "multiValueHeaders": None,
    "queryStringParameters": None, "multiValueQueryStringParameters": None,
    "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
    "requestContext": {"resourcePath": "/v1/manifest", "httpMethod": "GET", "stage": "v1api",
                       "path": "/v1api/v1/manifest", "requestId": "probe",
                       "identity": {"sourceIp": "192.0.2.1"}},
}
answer = app.app(event, None)
info = validate_sealed_blob(open(blob, "rb").read())
ours = {name: module for name, module in sys.modules.items()
        if name == "app" or name.split(".")[0] in ("chalicelib", "candor")}
print(json.dumps({
    "files": {name: getattr(module, "__file__", None) for name, module in ours.items()},
    "holding": {name: [n for n in forbidden if hasattr(module, n)]
                for name, module in ours.items()},
    "status": answer["statusCode"], "body": answer["body"],
    "blob": [info.recipient_type, info.stanza_count],
}))
"""


def client_files(package: Path) -> set[Path]:
    """Client modules in the package: `candor/`, or one copied back under
    its old path (e.g. chalicelib/age/x25519.py for candor/age/x25519.py)."""
    found = {Path(CLIENT_PACKAGE)} if (package / CLIENT_PACKAGE).exists() else set()
    nested = {p.relative_to(ROOT / CLIENT_PACKAGE) for p in (ROOT / "candor").rglob("*/*.py")}
    assert nested, "candor/ has no subpackage: this check would test nothing"
    returned = {rel for rel in nested if (package / "chalicelib" / rel).exists()}
    return found | (returned - {Path("age/__init__.py")})


def client_names_in_source(package: Path) -> set[tuple[str, str]]:
    """(file, name) for every client-only name in the package's own source."""
    words = re.compile(r"\b(" + "|".join(FORBIDDEN_NAMES) + r")\b")
    ours = [p for p in package.rglob("*.py")
            if p.relative_to(package).as_posix().startswith(SHIPPED_SOURCE)]  # fmt: skip
    assert len(ours) > 20
    return {
        (p.relative_to(package).as_posix(), m.group(1))
        for p in ours for m in words.finditer(p.read_text(encoding="utf-8"))
    }  # fmt: skip


def probe(root: Path, blob: Path, tmp_path: Path, *, alone: bool,
          python: str = sys.executable) -> dict[str, Any]:
    """Import `app` from `root`, answer a request, check a sealed blob's
    header. `alone`: without site-packages (`-S`): the package brings its
    own wheels."""
    env = {"CANDOR_BACKEND": "local", "CANDOR_DATA_DIR": str(tmp_path / "data")}
    # -B: nothing is written into the package (Lambda's task root is read-only).
    flags = ["-I", "-B", "-S"] if alone else ["-I", "-B"]
    result = subprocess.run(
        [python, *flags, "-c", PROBE, str(root), json.dumps(FORBIDDEN_NAMES), str(blob)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr  # e.g. a shipped module imports candor
    return json.loads(result.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def assert_no_client_code(found: dict[str, Any], root: Path) -> None:
    """`found` (from `probe`) loaded our code from `root` only, and none of
    it is or holds client-only code."""
    files = found["files"]
    assert "app" in files and "chalicelib.age.validate" in files
    assert not [name for name in files if name.split(".")[0] == CLIENT_PACKAGE]
    assert {name: held for name, held in found["holding"].items() if held} == {}
    for name, path in files.items():
        assert path is None or Path(path).is_relative_to(root), (name, path)


def sealed_blob(path: Path) -> Path:
    """A sealed report at `path`, made with the client's code."""
    from candor.age import api
    from candor.age.x25519 import X25519Identity

    path.write_bytes(api.encrypt_bytes([X25519Identity.generate().recipient()], b"report"))
    return path
