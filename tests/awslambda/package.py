"""The deployment package, built exactly as the CDK app builds it.

`chalice.api.package_app` is the call the CDK construct `chalice.cdk.Chalice`
makes for infra/ (the same project directory, stage and kind of stage
configuration). Chalice fetches the third-party wheels once and caches them
under `.chalice/deployments/`; the package itself is built once per test
process (`deployment_package`) and shared by every test that needs it.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))
from candor_infra.lambda_zip import precompile  # noqa: E402  (stdlib only)

BUILD = (
    "import sys\n"
    "from chalice.api import package_app\n"
    "package_app(project_dir=sys.argv[1], output_dir=sys.argv[2], stage='prod',\n"
    "            chalice_config={'manage_iam_role': False, 'autogen_policy': False,\n"
    "                            'iam_role_arn': 'arn:aws:iam::111122223333:role/probe'})\n"
)


@dataclass(frozen=True)
class Package:
    zip_path: Path
    root: Path  # the zip unpacked: what Lambda puts in /var/task
    template: dict[str, Any]  # the SAM template Chalice wrote beside it

    @property
    def zip_bytes(self) -> int:
        return self.zip_path.stat().st_size

    @property
    def unpacked_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())

    def written(self) -> list[str]:
        """Files that running from the package left in it (Lambda's task
        root is read-only; the runs here set PYTHONDONTWRITEBYTECODE)."""
        with zipfile.ZipFile(self.zip_path) as archive:
            shipped = set(archive.namelist())
        found = (p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())
        return sorted(set(found) - shipped)

    @property
    def api_definition(self) -> dict[str, Any]:
        """The OpenAPI document API Gateway builds its resources from."""
        api = self.template["Resources"]["RestAPI"]["Properties"]
        return api["DefinitionBody"]  # type: ignore[no-any-return]


def build_package(work: Path) -> Package:
    """Build the deployment package under `work` (a new, empty directory) in a
    child process (packaging imports `app`, which must not leak into this
    one) and unpack it."""
    out = work / "out"
    # Chalice consults botocore's endpoint table, never AWS; it needs a region.
    env = {**os.environ, "AWS_DEFAULT_REGION": "eu-central-1"}
    command = [sys.executable, "-c", BUILD, str(ROOT), str(out)]
    subprocess.run(command, cwd=work, env=env, check=True, timeout=600)
    precompile(out / "deployment.zip")  # as the CDK construct does (team_capacity.py)
    unpacked = work / "package"
    with zipfile.ZipFile(out / "deployment.zip") as archive:
        archive.extractall(unpacked)
    template = json.loads((out / "sam.json").read_text(encoding="utf-8"))
    return Package(out / "deployment.zip", unpacked, template)


@functools.cache
def deployment_package() -> Package:
    """The package, built on first use and removed when the process ends."""
    work = Path(tempfile.mkdtemp(prefix="candor-lambda-package-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    return build_package(work)
