"""The Python client sends a large attachment in parts through the packaged
Lambda function, S3 being SeaweedFS (protocol §4.2): the cloud path, with
S3's 5 MiB floor for parts and the default part size."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from candor.client import ApiClient
from candor.reporter import Evidence, submit
from chalicelib.config import MiB
from tests.awslambda.packaged import packaged_lambda
from tests.cli.test_multipart_cli import FORM, Recording, _opened
from tests.support.team import Team


@pytest.mark.slow
def test_parts_through_the_packaged_lambda(tmp_path: Path, team: Team) -> None:
    with packaged_lambda(tmp_path, manifest=team.manifest, s3="seaweedfs") as fn:
        fn.wait_ready()
        transport = Recording(fn.url)
        data = os.urandom(17 * MiB)  # sealed, over the 16 MiB threshold: 8 MiB parts
        sub = submit(ApiClient(transport), team.manifest, FORM,
                     files=[Evidence("video.mp4", data)])
        [attachment_id] = sub.body["attachments"]
        assert f"POST /v1/attachments/{attachment_id}/complete" in transport.calls
        assert _opened(team, sub.body, fn.store().get_blob(attachment_id)) == data
