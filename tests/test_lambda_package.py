"""The Lambda deployment package holds no client-only code (docs/architecture.md rule 7).

The package is the one the CDK app deploys, built once per test process
(tests/awslambda/package.py); the checks live in tests/awslambda/client_only.py,
which the packaged-Lambda flow test (tests/awslambda) runs as well. The
package also brings its own, pinned SDK (requirements.txt).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from tests.awslambda import client_only as co
from tests.awslambda.package import ROOT, deployment_package

# Built once: whichever of this module and tests/awslambda runs first builds it.
pytestmark = pytest.mark.xdist_group("lambda-package")


def test_client_only_names_exist_where_the_clients_use_them() -> None:
    # Keeps CLIENT_ONLY honest: a renamed function must be renamed here too.
    for modules in co.CLIENT_ONLY.values():
        for module, names in modules.items():
            loaded = importlib.import_module(module)
            for name in names:
                assert getattr(loaded, name).__module__ == module, (module, name)


@pytest.fixture(scope="module")
def package() -> Path:
    return deployment_package().root


@pytest.fixture(scope="module")
def sealed_blob(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return co.sealed_blob(tmp_path_factory.mktemp("blob") / "sealed.age")


def test_package_has_no_candor_directory(package: Path) -> None:
    assert (package / "app.py").is_file() and (package / "chalicelib" / "manifest.py").is_file()
    assert co.client_files(package) == set()


def test_package_source_names_no_client_only_code(package: Path) -> None:
    assert co.client_names_in_source(package) == set()


def test_package_imports_alone_and_answers(
    package: Path, sealed_blob: Path, tmp_path: Path
) -> None:
    found = co.probe(package, sealed_blob, tmp_path, alone=True)
    co.assert_no_client_code(found, package)
    assert found["status"] == 200 and json.loads(found["body"]) == {"manifests": []}
    assert found["blob"] == ["X25519", 1]


def test_app_imports_no_client_code_from_the_tree(sealed_blob: Path, tmp_path: Path) -> None:
    # The same check without packaging: quick, and independent of Chalice's
    # wheel cache. The working tree holds `candor/`, so this proves that
    # nothing the app imports reaches for it.
    found = co.probe(ROOT, sealed_blob, tmp_path, alone=False)
    co.assert_no_client_code(found, ROOT)


def _pins() -> dict[str, str]:
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return dict(line.split("==") for line in lines if "==" in line and not line.startswith("#"))


def test_package_bundles_the_pinned_sdk(package: Path) -> None:
    # The runtime's own boto3 may be older than the code needs (issue 18
    # item 3); the package carries exactly the pinned one.
    pins = _pins()
    assert {"boto3", "botocore"} <= set(pins)
    for name in ("boto3", "botocore"):
        source = (package / name / "__init__.py").read_text(encoding="utf-8")
        assert f"__version__ = '{pins[name]}'" in source, name


def test_package_carries_fresh_bytecode_and_no_stale_cache(package: Path) -> None:
    # Lambda's task root is read-only: without bytecode in the package every
    # cold start compiles every module again. The developer's own
    # __pycache__ (another Python, older sources) must not ship.
    from importlib.util import MAGIC_NUMBER, cache_from_source, source_hash

    sources = {p.relative_to(package).as_posix() for p in package.rglob("*.py")}
    cached = {p.relative_to(package).as_posix() for p in package.rglob("*.pyc")}
    expected = {cache_from_source(s) for s in sources}
    assert cached <= expected  # nothing stale, nothing of another Python
    for module in ("app.py", "chalicelib/manifest.py", "botocore/client.py", "chalice/app.py"):
        pyc = (package / cache_from_source(module)).read_bytes()
        assert pyc[:4] == MAGIC_NUMBER and pyc[4:8] == (1).to_bytes(4, "little")  # unchecked hash
        assert pyc[8:16] == source_hash((package / module).read_bytes())
    assert len(cached) > 0.99 * len(sources)  # only files no Python 3.13 compiles are left out


def test_precompiled_module_loads_from_its_bytecode(tmp_path: Path) -> None:
    import subprocess
    import sys
    import zipfile

    from candor_infra.lambda_zip import precompile

    built = tmp_path / "deployment.zip"
    with zipfile.ZipFile(built, "w") as archive:
        archive.writestr("probe.py", "ANSWER = 'packaged'\n")
        archive.writestr("__pycache__/probe.cpython-311.pyc", b"stale")
    assert precompile(built) == 1
    root = tmp_path / "task"
    with zipfile.ZipFile(built) as archive:
        assert sorted(archive.namelist()) == ["__pycache__/probe.cpython-313.pyc", "probe.py"]
        archive.extractall(root)
    # Unchecked: the interpreter trusts the bytecode without reading the
    # source, so an edited source beside it proves which one ran.
    (root / "probe.py").write_text("ANSWER = 'edited'\n")
    run = subprocess.run([sys.executable, "-B", "-c", "import probe; print(probe.ANSWER)"],
                         cwd=root, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "packaged"
