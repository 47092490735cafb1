"""CDK entry point: one Candor stack per stage in context `stages`.

`python infra/app.py` synthesizes to `infra/cdk.out` with no AWS account and
no CDK CLI; `cdk deploy` (run in `infra/`) runs the same file via cdk.json.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

INFRA_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(INFRA_DIR))

import aws_cdk as cdk  # noqa: E402
from candor_infra.stack import build_stacks  # noqa: E402


def main() -> None:
    outdir = Path(os.environ.get("CDK_OUTDIR") or INFRA_DIR / "cdk.out").resolve()
    # `chalice package` writes under the working directory; keep that out of
    # the tree (build/ is ignored) and out of cdk.out, which checkov scans.
    workdir = outdir.parent / "build"
    workdir.mkdir(parents=True, exist_ok=True)
    os.chdir(workdir)
    # The CDK CLI passes cdk.json's context itself; run directly, read it here
    # so `make synth` and `cdk deploy` build the same templates.
    context = None
    if "CDK_CONTEXT_JSON" not in os.environ:
        context = json.loads((INFRA_DIR / "cdk.json").read_text(encoding="utf-8"))["context"]
    app = cdk.App(outdir=str(outdir), context=context)
    build_stacks(app)
    app.synth()


if __name__ == "__main__":
    main()
