"""Random values the stack generates and hands on as dynamic references
(the origin key, the puzzle seed key): CloudFormation resolves them at
deploy time, and the template holds only the secret's ARN."""

from __future__ import annotations

from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from candor_infra.scanners import skip_checks


def generated_secret(scope: Construct, *, description: str, length: int, no_cmk: str) -> str:
    """A Secrets Manager secret ``Value`` in `scope`: `length` letters and
    digits; `no_cmk` says why the AWS-managed key is enough (checkov
    CKV_AWS_149). Returns its dynamic reference."""
    secret = secretsmanager.Secret(
        scope,
        "Value",
        description=description,
        generate_secret_string=secretsmanager.SecretStringGenerator(
            password_length=length, exclude_punctuation=True, include_space=False
        ),
    )
    skip_checks(secret, {"CKV_AWS_149": no_cmk})
    value: str = secret.secret_value.unsafe_unwrap()
    return value
