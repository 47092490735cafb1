"""Cold import of the Lambda package, with and without its ahead-of-time bytecode.

    .venv/bin/python bench/lambda_cold.py [--runs 7]

Builds the deployment package as the CDK app does (tests/awslambda/package.py,
which runs infra/candor_infra/lambda_zip.py's `precompile`), unpacks it
twice, strips every `__pycache__` from the second copy (the package as
`chalice package` alone made it, minus its stale developer cache), and
imports `app` in a fresh interpreter from each, alternately, as Lambda's
read-only task root does (`-B`: nothing written). Prints the median wall
time of each and the ratio; the baseline is the copy without bytecode,
measured in the same run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.awslambda.package import build_package

CODE = "import app"


def import_ms(root: Path) -> float:
    # The aws backend, as deployed: importing it loads boto3 and botocore
    # (no call is made at import time).
    env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-central-1", "CANDOR_BACKEND": "aws",
           "CANDOR_BUCKET": "candor-bench", "CANDOR_TABLE": "candor-bench",
           "CANDOR_PUBLIC_BASE_URL": "https://candor.example"}
    start = time.perf_counter()
    code = f"import sys; sys.path.insert(0, '.'); {CODE}"
    subprocess.run([sys.executable, "-B", "-I", "-c", code],
                   cwd=root, env=env, check=True, capture_output=True)
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="imports of each copy (alternating)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="candor-cold-") as tmp:
        work = Path(tmp)
        (work / "build").mkdir()
        package = build_package(work / "build")
        bare = work / "bare"
        shutil.copytree(package.root, bare)
        for cache in list(bare.rglob("__pycache__")):
            shutil.rmtree(cache)
        timings: dict[str, list[float]] = {"precompiled": [], "source only": []}
        for _ in range(args.runs):
            timings["precompiled"].append(import_ms(package.root))
            timings["source only"].append(import_ms(bare))
        base = statistics.median(timings["source only"])
        print(f"package {package.zip_bytes / 2**20:.1f} MiB zipped; "
              f"`import app` in a fresh interpreter, median of {args.runs}:")
        for name, values in timings.items():
            median = statistics.median(values)
            print(f"  {name:12} {median:7.0f} ms   {base / median:4.2f}x faster than source only")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
