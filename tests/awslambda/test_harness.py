"""The Lambda emulation does not hide failures: a function that raises is
API Gateway's 502, one that cannot load its handler reports an init error
and exits, an unknown route is API Gateway's 403. Each through the real
runtime client (`awslambdaric`) and the Runtime API's error endpoints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.awslambda.gateway import Gateway
from tests.awslambda.packaged import lambda_environment, run_function, running
from tests.awslambda.runtime_api import RuntimeApi
from tests.awslambda.runtime_env import runtime_python
from tests.backends import http

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("lambda-package")]
DEFINITION: dict[str, Any] = {"paths": {"/v1/boom/{what}": {"get": {}}}}
BOOM = """
def handler(event, context):
    what = event["pathParameters"]["what"]
    if what.isdigit():  # an answer of that many bytes
        return {"statusCode": 200, "body": "x" * int(what)}
    raise ValueError("boom: " + what)
"""


def _task(tmp_path: Path) -> Path:
    root = tmp_path / "task"
    root.mkdir()
    (root / "boom.py").write_text(BOOM)
    return root


def test_a_function_error_is_a_502_and_is_recorded(tmp_path: Path) -> None:
    root = _task(tmp_path)
    with running(RuntimeApi()) as runtime, running(Gateway(runtime, DEFINITION)) as gateway:
        env = lambda_environment(root, runtime.address, {}, {}, handler="boom.handler")
        command = [str(runtime_python()), "-m", "awslambdaric", "boom.handler"]
        with run_function(command, root, env, tmp_path / "log"):
            status, body = http("GET", gateway.url + "/v1/boom/now")
            assert (status, json.loads(body)) == (502, {"message": "Internal server error"})
            [failure] = gateway.failures
            assert json.loads(failure)["errorType"] == "ValueError" and "boom: now" in failure
            assert http("GET", gateway.url + "/v1/elsewhere")[0] == 403
            # Lambda's 6 MB limit on a result: just under passes, just over is an error.
            assert http("GET", gateway.url + "/v1/boom/6291000") == (200, b"x" * 6291000)
            assert http("GET", gateway.url + "/v1/boom/6292000")[0] == 502
            assert "Function.ResponseSizeTooLarge" in gateway.failures[-1]
            assert http("POST", gateway.url + "/v1/boom/now", b"{}")[0] == 403


def test_a_handler_that_cannot_load_is_an_init_error(tmp_path: Path) -> None:
    root = _task(tmp_path)
    with running(RuntimeApi()) as runtime:
        env = lambda_environment(root, runtime.address, {}, {}, handler="missing.handler")
        command = [str(runtime_python()), "-m", "awslambdaric", "missing.handler"]
        with run_function(command, root, env, tmp_path / "log") as proc:
            assert proc.wait(60) != 0
        [error] = runtime.init_errors
        assert error["errorType"] == "Runtime.ImportModuleError"
        assert runtime.first_poll is None
