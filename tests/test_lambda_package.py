"""The Lambda deployment package holds no client-only code (docs/architecture.md rule 7).

The package is built with `chalice.api.package_app`, the call the CDK
construct `chalice.cdk.Chalice` makes for infra/ (the same project
directory, stage and kind of stage configuration), so the test sees the
zip that would be deployed. Chalice fetches the third-party wheels once
and caches them under `.chalice/deployments/`.

Client-only means: the `candor` package, decryption, identity parsing,
encryption and roster editing. `CLIENT_ONLY` names them once; the package is checked by
file, by a grep of its own source, and by importing its `app` with only the
package and the standard library on the path.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
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


def test_client_only_names_exist_where_the_clients_use_them() -> None:
    # Keeps CLIENT_ONLY honest: a renamed function must be renamed here too.
    for modules in CLIENT_ONLY.values():
        for module, names in modules.items():
            loaded = importlib.import_module(module)
            for name in names:
                assert getattr(loaded, name).__module__ == module, (module, name)


def _package(out: Path) -> Path:
    """Build the deployment package in a child process (packaging imports
    `app`, which must not leak into this one) and unpack it."""
    build = (
        "import sys\n"
        "from chalice.api import package_app\n"
        "package_app(project_dir=sys.argv[1], output_dir=sys.argv[2], stage='prod',\n"
        "            chalice_config={'manage_iam_role': False, 'autogen_policy': False,\n"
        "                            'iam_role_arn': 'arn:aws:iam::111122223333:role/probe'})\n"
    )
    # Chalice consults botocore's endpoint table, never AWS; it needs a region.
    env = {**os.environ, "AWS_DEFAULT_REGION": "eu-central-1"}
    command = [sys.executable, "-c", build, str(ROOT), str(out)]
    subprocess.run(command, cwd=out.parent, env=env, check=True, timeout=300)
    unpacked = out.parent / "package"
    with zipfile.ZipFile(out / "deployment.zip") as archive:
        archive.extractall(unpacked)
    return unpacked


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _package(tmp_path_factory.mktemp("lambda") / "out")


@pytest.fixture(scope="module")
def sealed_blob(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from candor.age import api
    from candor.age.x25519 import X25519Identity

    path = tmp_path_factory.mktemp("blob") / "sealed.age"
    path.write_bytes(api.encrypt_bytes([X25519Identity.generate().recipient()], b"report"))
    return path


def _probe(root: Path, blob: Path, tmp_path: Path, *, alone: bool) -> dict[str, Any]:
    """Import `app` from `root`, answer a request, check a sealed blob's
    header. `alone`: without site-packages (`-S`), as on Lambda, where the
    package brings its own wheels."""
    env = {"CANDOR_BACKEND": "local", "CANDOR_DATA_DIR": str(tmp_path / "data")}
    flags = ["-I", "-S"] if alone else ["-I"]
    result = subprocess.run(
        [sys.executable, *flags, "-c", PROBE, str(root), json.dumps(FORBIDDEN_NAMES), str(blob)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr  # e.g. a shipped module imports candor
    return json.loads(result.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def _assert_no_client_code(found: dict[str, Any], root: Path) -> None:
    files = found["files"]
    assert "app" in files and "chalicelib.age.validate" in files
    assert not [name for name in files if name.split(".")[0] == CLIENT_PACKAGE]
    assert {name: held for name, held in found["holding"].items() if held} == {}
    for name, path in files.items():
        assert path is None or Path(path).is_relative_to(root), (name, path)


def test_package_has_no_candor_directory(package: Path) -> None:
    assert (package / "app.py").is_file() and (package / "chalicelib" / "manifest.py").is_file()
    assert not (package / CLIENT_PACKAGE).exists()
    # A client module copied back under its old path, e.g. chalicelib/age/x25519.py
    # for candor/age/x25519.py.
    nested = {p.relative_to(ROOT / CLIENT_PACKAGE) for p in (ROOT / "candor").rglob("*/*.py")}
    assert nested, "candor/ has no subpackage: this check would test nothing"
    returned = {rel for rel in nested if (package / "chalicelib" / rel).exists()}
    assert returned <= {Path("age/__init__.py")}


def test_package_source_names_no_client_only_code(package: Path) -> None:
    words = re.compile(r"\b(" + "|".join(FORBIDDEN_NAMES) + r")\b")
    ours = [p for p in package.rglob("*.py")
            if p.relative_to(package).as_posix().startswith(SHIPPED_SOURCE)]  # fmt: skip
    assert len(ours) > 20
    hits = {
        (p.relative_to(package).as_posix(), m.group(1))
        for p in ours for m in words.finditer(p.read_text(encoding="utf-8"))
    }  # fmt: skip
    assert hits == set()


def test_package_imports_alone_and_answers(
    package: Path, sealed_blob: Path, tmp_path: Path
) -> None:
    found = _probe(package, sealed_blob, tmp_path, alone=True)
    _assert_no_client_code(found, package)
    assert found["status"] == 200 and json.loads(found["body"]) == {"manifests": []}
    assert found["blob"] == ["X25519", 1]


def test_app_imports_no_client_code_from_the_tree(sealed_blob: Path, tmp_path: Path) -> None:
    # The same check without packaging: quick, and independent of Chalice's
    # wheel cache. The working tree holds `candor/`, so this proves that
    # nothing the app imports reaches for it.
    found = _probe(ROOT, sealed_blob, tmp_path, alone=False)
    _assert_no_client_code(found, ROOT)
