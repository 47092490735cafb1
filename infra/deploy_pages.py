"""The pages on the pages bucket, for `make deploy` (infra/deploy.py).

Order matters while the upload runs: a page that is already new must find
every asset it names, so the content-hashed assets go first, the HTML last,
and what the new build no longer has is deleted only after that.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from deploy_checks import DeployError

ROOT = Path(__file__).resolve().parent.parent
# Content-hashed names (frontend/build.ts writes them under assets/) never
# change content: cache for good. Everything else is revalidated on every
# request, so a new upload shows at once.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
HASHED_PREFIX = "assets/"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
}
# Read by `candor serve` and by CloudFront's response headers policy at
# synth time; never served.
NOT_SERVED = {"headers.json"}


def build_pages(manifest: Path, out: Path) -> None:
    """The pages with ``manifest`` built in, as `candor demo` builds them."""
    if not manifest.is_file():
        raise DeployError(f"no manifest at {manifest}",
                          f"candor manifest publish --key ADMIN.candor-key --out {manifest}")
    done = subprocess.run(["node", str(ROOT / "frontend" / "build.mjs"), "--manifest",
                           str(manifest), "--out", str(out)], cwd=ROOT, check=False)
    if done.returncode:
        raise DeployError("building the pages failed (see above)", "npm ci; make build")


def content_type(key: str) -> str:
    suffix = key[key.rfind("."):].lower() if "." in key.rsplit("/", 1)[-1] else ""
    if suffix not in CONTENT_TYPES:
        raise DeployError(f"no content type known for {key}",
                          "add its extension to CONTENT_TYPES in infra/deploy_pages.py")
    return CONTENT_TYPES[suffix]


def upload_order(site: Path) -> list[str]:
    """Every key to upload: hashed assets, then other files, then HTML."""
    keys = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    keys = [k for k in keys if k not in NOT_SERVED]

    def rank(key: str) -> int:
        return 2 if key.endswith(".html") else 0 if key.startswith(HASHED_PREFIX) else 1

    return sorted(keys, key=lambda k: (rank(k), k))


def upload_pages(s3: Any, bucket: str, site: Path) -> list[str]:
    """Upload the built pages in ``upload_order``, then delete what the
    build no longer has. Returns the keys uploaded."""
    keys = upload_order(site)
    if not any(k == "index.html" for k in keys):
        raise DeployError(f"{site} has no index.html", "make build")
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=(site / key).read_bytes(),
                      ContentType=content_type(key),
                      CacheControl=IMMUTABLE if key.startswith(HASHED_PREFIX) else REVALIDATE)
    stale = [k for k in bucket_keys(s3, bucket) if k not in set(keys)]
    for start in range(0, len(stale), 1000):
        batch = [{"Key": k} for k in stale[start:start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    return keys


def bucket_keys(s3: Any, bucket: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            yield item["Key"]


def invalidate(cloudfront: Any, distribution_id: str, reference: str) -> str:
    """Drop CloudFront's cached pages; returns the invalidation's id."""
    answer = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]},
                           "CallerReference": reference})
    invalidation_id: str = answer["Invalidation"]["Id"]
    return invalidation_id
