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
