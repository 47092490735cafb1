"""The resumable upload of tests/browser/test_resumable_upload.py in the
cloud's shape: the packaged Lambda (aws backend) behind its API Gateway-like
front, S3 on SeaweedFS (which checks SigV4, the signed Content-Length and
expiry), the pages on their own origin with /v1/ passed to the API, and
the 256 MiB attachment going from Chromium straight to SeaweedFS through
presigned part URLs, cut twice, then decrypted byte-exact by the team."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from candor.client import ApiClient, HttpTransport
from candor.opscli import build_site
from tests.awslambda.packaged import packaged_lambda
from tests.browser.upload_fixtures import (
    MIB,
    S3_PARTS,
    Front,
    assert_resumed,
    cut_twice,
    forget_cut_requests,
    large_file,
    open_report,
    plain_sha256,
    received_attachments,
)
from tests.support.team import Team

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def allow_pages(bucket: str, origin: str) -> None:
    """The bucket's CORS rule, as infra/ sets it for the pages' origin."""
    boto3.client("s3").put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": [origin],
                    "AllowedMethods": ["PUT", "GET"],
                    "AllowedHeaders": ["*"],
                    "MaxAgeSeconds": 600,
                }
            ]
        },
    )


def test_256_mib_upload_to_seaweedfs_survives_two_cuts(
    make_page: Any, team: Team, tmp_path: Path
) -> None:
    path, digest = large_file(tmp_path, 256 * MIB)
    (tmp_path / "manifest.json").write_text(json.dumps(team.manifest))
    build_site(tmp_path / "manifest.json", tmp_path / "site")
    (tmp_path / "lambda").mkdir()
    with packaged_lambda(tmp_path / "lambda", manifest=team.manifest, s3="seaweedfs") as fn:
        fn.wait_ready()
        storage = fn.endpoints["AWS_ENDPOINT_URL_S3"].rstrip("/")
        with Front(tmp_path / "site", fn.url, storage) as front:
            allow_pages(fn.bucket, front.url)
            page, watch = make_page(front.url)
            log = open_report(page, front.url, [path])
            cut_twice(page, log, S3_PARTS)
            page.wait_for_selector("#step-receipt:not([hidden])", timeout=900_000)
            assert forget_cut_requests(watch)
            # In the cloud the parts go to the storage's origin, and only they.
            to_storage = [r for r in watch.foreign if r.startswith(storage)]
            assert to_storage and to_storage == watch.foreign
            watch.foreign.clear()

            admin = next(m for m in team.members if m.role == "admin")
            client = ApiClient(HttpTransport(fn.url), admin.key)
            ((entry, sealed),) = received_attachments(
                lambda p: client.call("GET", p), admin.key, front.url
            )
        assert fn.gateway.failures == []
    assert (entry["name"], entry["size"]) == ("video.bin", 256 * MIB)
    assert_resumed(log, len(sealed))
    assert plain_sha256(admin.key, entry, sealed) == digest
