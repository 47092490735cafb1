"""The packaged Lambda function on loopback: its deployment package run by
`awslambdaric` in a runtime-like Python 3.13 environment
(`runtime_env`), polling a local Runtime API (`runtime_api`), behind an
API Gateway-like front proxy (`gateway`), with DynamoDB on moto's server
and S3 on moto's server or SeaweedFS.

    with packaged_lambda(tmp_path, manifest=team.manifest) as fn:
        client = ApiClient(HttpTransport(fn.url))   # as if API Gateway's URL

`workers` runtime processes poll the one Runtime API, as that many
concurrent execution environments. Fake credentials only; nothing leaves
the machine.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.awslambda.gateway import Gateway
from tests.awslambda.package import Package, deployment_package
from tests.awslambda.runtime_api import RuntimeApi
from tests.awslambda.runtime_env import runtime_python
from tests.backends import FAKE_AWS_ENV, fake_aws_env, moto_server_url, serialized_moto_dynamodb
from tests.support.seaweed import seaweedfs

HANDLER = "app.app"  # the APIHandler's handler in the package's SAM template
FUNCTION = "candor-APIHandler"
MEMORY_MB = "512"


@dataclass
class PackagedLambda:
    url: str  # the front proxy: talk to it as to API Gateway
    package: Package
    runtime: RuntimeApi
    gateway: Gateway
    bucket: str
    table: str
    endpoints: dict[str, str]  # AWS_ENDPOINT_URL_S3 / _DYNAMODB the function uses
    logs: list[Path]  # each runtime process's stdout and stderr
    spawned_at: float  # monotonic time the (first) runtime process started
    env: dict[str, str] = field(repr=False, default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(repr=False, default_factory=list)

    @property
    def init_seconds(self) -> float | None:
        """Interpreter start, runtime client and handler import: the time
        to the first poll for an event (Lambda's "Init Duration")."""
        first = self.runtime.first_poll
        return None if first is None else first - self.spawned_at

    def wait_ready(self, timeout: float = 60) -> float:
        """Wait for the runtime's first poll; the init time. Raises
        RuntimeError when a runtime process exits or init fails."""
        deadline = time.monotonic() + timeout
        while self.init_seconds is None:
            exited = [p.returncode for p in self.processes if p.poll() is not None]
            if exited or self.runtime.init_errors or time.monotonic() > deadline:
                raise RuntimeError(f"the function did not start ({exited}, "
                                   f"{self.runtime.init_errors}): {self.log_text()[-3000:]}")
            time.sleep(0.005)
        return self.init_seconds

    def run_other(self, handler: str, event: dict[str, Any], log: Path) -> Any:
        """Run another function of the package (e.g. `app.housekeeping`, the
        Housekeeping function) once, cold, with this one's environment."""
        with running(RuntimeApi()) as runtime:
            env = {**self.env, "AWS_LAMBDA_RUNTIME_API": runtime.address, "_HANDLER": handler}
            command = [str(runtime_python()), "-m", "awslambdaric", handler]
            with run_function(command, self.package.root, env, log):
                return runtime.invoke(event, timeout=60)

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def store(self) -> Any:
        """An AwsCaseStore on the same bucket and table, for checks; only
        inside the `packaged_lambda` block, which sets the endpoints."""
        from chalicelib.store.aws import AwsCaseStore

        return AwsCaseStore(self.bucket, self.table)


def lambda_environment(root: Path, runtime_api: str, settings: Mapping[str, str],
                       endpoints: Mapping[str, str], handler: str = HANDLER) -> dict[str, str]:
    """What Lambda sets for a python3.13 function, plus the function's own
    variables (infra/candor_infra/api.py) and the local endpoints. Nothing
    is inherited from this process."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "en_US.UTF-8", "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(root), "_HANDLER": handler,
        "AWS_LAMBDA_RUNTIME_API": runtime_api, "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": FUNCTION, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": MEMORY_MB,
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{FUNCTION}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]" + secrets.token_hex(16),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        # The task root comes first on Lambda's path, before the runtime's SDK.
        "PYTHONPATH": str(root),
        # /var/task is read-only: every cold start compiles the package again.
        "PYTHONDONTWRITEBYTECODE": "1",
        **FAKE_AWS_ENV, **endpoints, **settings,
    }  # fmt: skip


@contextlib.contextmanager
def packaged_lambda(
    work: Path, *, manifest: Mapping[str, Any] | None = None, s3: str = "moto",
    workers: int = 1, binary_media_types: tuple[str, ...] | None = None,
) -> Iterator[PackagedLambda]:
    """Start everything; yield the running function. `manifest`: a first
    manifest (`candor init`) to install before the function starts. `s3`:
    "moto" or "seaweedfs". `work`: an empty directory for logs and data."""
    package, python = deployment_package(), runtime_python()
    with contextlib.ExitStack() as stack:
        s3_url = _s3_endpoint(stack, s3, work)
        endpoints = {"AWS_ENDPOINT_URL_S3": s3_url, "AWS_ENDPOINT_URL_DYNAMODB": moto_server_url()}
        stack.enter_context(fake_aws_env(**endpoints))
        stack.enter_context(serialized_moto_dynamodb())
        name = "candor-lambda-" + secrets.token_hex(5)
        _install(name, manifest)
        runtime = stack.enter_context(running(RuntimeApi()))
        gateway = stack.enter_context(running(
            Gateway(runtime, package.api_definition, binary_media_types)))  # fmt: skip
        settings = {
            "CANDOR_BACKEND": "aws", "CANDOR_BUCKET": name, "CANDOR_TABLE": name,
            "CANDOR_PUBLIC_BASE_URL": gateway.url, "CANDOR_RETENTION_DAYS": "365",
        }  # fmt: skip
        env = lambda_environment(package.root, runtime.address, settings, endpoints)
        if s3 == "moto":
            # Lambda's role credentials carry a session token, which presigned
            # URLs then carry too; SeaweedFS knows no STS and refuses them.
            env["AWS_SESSION_TOKEN"] = "testing"
        fn = PackagedLambda(gateway.url, package, runtime, gateway, name, name, endpoints,
                            [], time.monotonic(), env)
        command = [str(python), "-m", "awslambdaric", HANDLER]
        for i in range(workers):
            fn.logs.append(work / f"function-{i}.log")
            fn.processes.append(stack.enter_context(
                run_function(command, package.root, env, fn.logs[-1])))  # fmt: skip
        yield fn


def _s3_endpoint(stack: contextlib.ExitStack, s3: str, work: Path) -> str:
    if s3 == "moto":
        return moto_server_url()
    if s3 != "seaweedfs":
        raise ValueError(f"s3 must be 'moto' or 'seaweedfs', not {s3!r}")
    (work / "seaweedfs").mkdir()
    return stack.enter_context(seaweedfs(
        work / "seaweedfs", FAKE_AWS_ENV["AWS_ACCESS_KEY_ID"],
        FAKE_AWS_ENV["AWS_SECRET_ACCESS_KEY"]))  # fmt: skip


def _install(name: str, manifest: Mapping[str, Any] | None) -> None:
    """The bucket and table the stack would create, and the first manifest."""
    from chalicelib.domain import team_roster
    from chalicelib.domain.cases import Context
    from chalicelib.store.aws import AwsCaseStore
    from chalicelib.store.factory import create_aws_resources

    create_aws_resources(name, name)
    if manifest is not None:
        team_roster.bootstrap(Context(AwsCaseStore(name, name)), manifest)


@contextlib.contextmanager
def running[T: (RuntimeApi, Gateway)](server: T) -> Iterator[T]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def run_function(args: list[str], cwd: Path, env: dict[str, str],
                 log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """One runtime process (an execution environment), stopped on exit."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
