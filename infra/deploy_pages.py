"""The pages on the pages bucket, for `make deploy` (infra/deploy.py).

Order matters while the upload runs: a page that is already new must find
every asset it names, so the content-hashed assets go first, the HTML
after them, the signed release of the pages (protocol §4.8) last, and what
the new build no longer has is deleted only after that. The release chain
(`release.json`, `releases/N.json`) is never deleted: a verifier follows it
from any release they pinned (docs/verify.md).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from candor_infra.headers import load_page_headers, served_file
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
    ".wasm": "application/wasm",  # the clean worker's HEIC decoder
}
# Read by `candor serve` and by CloudFront's response headers policy at
# synth time; never served.
NOT_SERVED = {"headers.json"}
HEADERS_FILE = "headers.json"
# The signed releases (candor/release.py HEAD_FILE, CHAIN_DIR): the head
# goes up last, so it never names pages that are not there yet.
RELEASE_HEAD = "release.json"
RELEASE_PREFIX = "releases/"


def is_release(key: str) -> bool:
    return key == RELEASE_HEAD or key.startswith(RELEASE_PREFIX)


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
        if key == RELEASE_HEAD:
            return 3
        return 2 if key.endswith(".html") else 0 if key.startswith(HASHED_PREFIX) else 1

    return sorted(keys, key=lambda k: (rank(k), k))


def upload_pages(s3: Any, bucket: str, site: Path) -> list[str]:
    """Upload the built pages in ``upload_order``, then delete what the
    build no longer has but the release chain. Returns the keys uploaded."""
    keys = upload_order(site)
    if not any(k == "index.html" for k in keys):
        raise DeployError(f"{site} has no index.html", "make build")
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=(site / key).read_bytes(),
                      ContentType=content_type(key),
                      CacheControl=IMMUTABLE if key.startswith(HASHED_PREFIX) else REVALIDATE)
    stale = [k for k in bucket_keys(s3, bucket) if k not in set(keys) and not is_release(k)]
    for start in range(0, len(stale), 1000):
        batch = [{"Key": k} for k in stale[start:start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    return keys


def bucket_keys(s3: Any, bucket: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            yield item["Key"]


def fetch_releases(s3: Any, bucket: str, site: Path) -> int | None:
    """Copy the bucket's release chain into ``site`` (the build leaves it
    alone there), so `candor release sign` proposes the next version and
    `publish` checks the chain. Returns the published version, or None."""
    for key in (k for k in bucket_keys(s3, bucket) if is_release(k)):
        if ".." in key.split("/") or not key.endswith(".json"):
            raise DeployError(f"the pages bucket holds an odd release key {key!r}",
                              "delete it by hand: releases are releases/N.json")
        target = site / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    head = site / RELEASE_HEAD
    if not head.is_file():
        return None
    version = json.loads(head.read_text(encoding="utf-8")).get("version")
    if not isinstance(version, int):
        raise DeployError(f"{RELEASE_HEAD} in the pages bucket has no version",
                          "restore it from releases/ (the newest releases/N.json)")
    return version


def storage_origins(blob_bucket: str, region: str) -> list[str]:
    """The stack's storage origins (infra/candor_infra/storage.py) with the
    deployed names in place of CloudFormation's tokens."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return [f"https://{blob_bucket}.s3.{region}.{suffix}", f"https://{blob_bucket}.s3.{suffix}"]


def served_headers(headers_file: Path, blob_bucket: str, region: str) -> dict[str, Any]:
    """The headers CloudFront serves the pages with, and their changes for
    some paths: the response headers policies infra/candor_infra/edge.py
    makes from the same file and origins. A release signs these (protocol
    §4.8), not the build's own set."""
    page = load_page_headers(headers_file, storage_origins(blob_bucket, region))
    return served_file(page)


def write_served_headers(site: Path, headers: dict[str, Any]) -> None:
    """Replace the build's headers.json, which the admins' signatures cover."""
    text = json.dumps(headers, indent=2, ensure_ascii=False) + "\n"
    (site / HEADERS_FILE).write_text(text, encoding="utf-8")


def invalidate(cloudfront: Any, distribution_id: str, reference: str) -> str:
    """Drop CloudFront's cached pages; returns the invalidation's id."""
    answer = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]},
                           "CallerReference": reference})
    invalidation_id: str = answer["Invalidation"]["Id"]
    return invalidation_id
