"""Scanner suppressions, kept next to the resource they excuse.

checkov reads `Metadata.checkov.skip` on a CloudFormation resource; every
entry carries the one-line reason the issue asks for.
"""

from __future__ import annotations

from aws_cdk import CfnResource
from constructs import IConstruct


def skip_checks(target: IConstruct | CfnResource, reasons: dict[str, str]) -> None:
    """Record checkov check ids to skip on `target` (an L1 or an L2's default child)."""
    resource = target if isinstance(target, CfnResource) else target.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{target} has no CloudFormation resource to annotate")
    existing = resource.get_metadata("checkov") or {}
    skips = list(existing.get("skip", []))
    skips += [{"id": check, "comment": reason} for check, reason in sorted(reasons.items())]
    resource.add_metadata("checkov", {"skip": skips})


# Reasons shared by several resources, so the wording stays the same everywhere.
NO_ACCESS_LOGS = "access logs would record reporter addresses (protocol §1)"
NO_XRAY = "X-Ray traces carry client addresses and request metadata (protocol §1)"
NO_VPC = (
    "talks only to S3, DynamoDB and KMS over TLS with IAM auth; a VPC adds NAT cost, no protection"
)
