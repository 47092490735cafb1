"""CDK entry point: one Candor stack per stage listed in context `stages`.

`python infra/app.py` synthesizes to `infra/cdk.out` with no AWS account and
no CDK CLI; `cdk deploy` (run in `infra/`) uses the same file via cdk.json.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

INFRA_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(INFRA_DIR))

import aws_cdk as cdk  # noqa: E402
from candor_infra.settings import stage_settings  # noqa: E402
from candor_infra.stack import CandorStack  # noqa: E402


def build(app: cdk.App) -> list[CandorStack]:
    """Add every stage's stack to `app`."""
    stages = app.node.try_get_context("stages") or ["prod"]
    if isinstance(stages, str):
        stages = [s for s in stages.split(",") if s]
    context = {
        key: app.node.try_get_context(key)
        for key in ["candor", *(f"candor:{stage}" for stage in stages)]
        if app.node.try_get_context(key) is not None
    }
    stacks = []
    for stage in stages:
        settings = stage_settings(context, stage)
        # `chalice package` asks botocore for a region only to name the
        # apigateway service principal; no call reaches AWS.
        os.environ.setdefault("AWS_DEFAULT_REGION", settings.region or "us-east-1")
        stacks.append(CandorStack(app, settings))
    return stacks


def main() -> None:
    outdir = os.environ.get("CDK_OUTDIR") or str(INFRA_DIR / "cdk.out")
    # Chalice writes its packages under the working directory: keep them in cdk.out.
    workdir = Path(outdir).parent / "build"
    workdir.mkdir(parents=True, exist_ok=True)
    os.chdir(workdir)
    app = cdk.App(outdir=outdir)
    build(app)
    app.synth()


if __name__ == "__main__":
    main()
