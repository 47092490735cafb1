"""Per-environment settings, read from CDK context (`infra/cdk.json` or `-c`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
# The API Gateway stage; CloudFront's API origin path points at it, so clients
# see `/v1/...` and the API's public base URL has an empty path (protocol §4.3).
API_STAGE = "v1api"
STAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,14}$")


class SettingsInvalid(ValueError):
    """A context value is missing or out of range."""


@dataclass(frozen=True)
class StageSettings:
    """What one environment (one stack) is built from."""

    stage: str
    source_dir: Path
    headers_file: Path
    retention_days: int
    throttle_rate: int
    throttle_burst: int
    reporter_throttle_rate: int
    reporter_throttle_burst: int
    reserved_concurrency: int
    team_throttle_rate: int
    team_throttle_burst: int
    team_reserved_concurrency: int
    housekeeping_reserved_concurrency: int
    notifications: bool
    digest_hour: int
    digest_zone: str
    domain_name: str | None
    certificate_arn: str | None
    region: str | None
    account: str | None

    @property
    def stack_name(self) -> str:
        return f"candor-{self.stage}"


def stage_settings(context: dict[str, Any], stage: str) -> StageSettings:
    """Merge the `candor` context defaults with `candor:<stage>` overrides.

    Raises SettingsInvalid for a bad stage name or an inconsistent domain.
    """
    if not STAGE_NAME.match(stage):
        raise SettingsInvalid(f"stage {stage!r}: lower-case letters, digits and '-', 15 max")
    merged: dict[str, Any] = {**context.get("candor", {}), **context.get(f"candor:{stage}", {})}
    domain = merged.get("domainName") or None
    cert = merged.get("certificateArn") or None
    if bool(domain) != bool(cert):
        raise SettingsInvalid("domainName and certificateArn go together (ACM, us-east-1)")
    rate, burst = _positive(merged, "throttleRate", 20), _positive(merged, "throttleBurst", 40)
    # API Gateway cannot ask for work: on the routes that take puzzles its
    # limits must sit above the rate at which puzzles start (protocol §4.1).
    reporter_rate = _positive(merged, "reporterThrottleRate", max(100, 5 * rate))
    reporter_burst = _positive(merged, "reporterThrottleBurst", max(200, 5 * burst))
    if reporter_rate <= rate or reporter_burst <= burst:
        raise SettingsInvalid("reporterThrottleRate and reporterThrottleBurst must be above "
                              "throttleRate and throttleBurst: puzzles start at those")
    return StageSettings(
        stage=stage,
        source_dir=_path(merged.get("sourceDir", ".")),
        headers_file=_path(merged.get("headersFile", "frontend/headers.json")),
        retention_days=_positive(merged, "retentionDays", 365),
        throttle_rate=rate,
        throttle_burst=burst,
        reporter_throttle_rate=reporter_rate,
        reporter_throttle_burst=reporter_burst,
        # No reservations by default: a new account's quota is 10 concurrent
        # executions and Lambda keeps 10 unreserved, so any reservation fails
        # there. Raise the quota first, then e.g. 50 / 10 / 1 (docs/deploy.md).
        reserved_concurrency=_at_least(merged, "reservedConcurrency", 0, 0),
        team_throttle_rate=_positive(merged, "teamThrottleRate", 50),
        team_throttle_burst=_positive(merged, "teamThrottleBurst", 100),
        team_reserved_concurrency=_at_least(merged, "teamReservedConcurrency", 0, 0),
        housekeeping_reserved_concurrency=_at_least(
            merged, "housekeepingReservedConcurrency", 0, 0
        ),
        notifications=bool(merged.get("notifications", False)),
        digest_hour=_digest_hour(merged),
        digest_zone=_digest_zone(merged),
        domain_name=domain,
        certificate_arn=cert,
        region=merged.get("region") or None,
        account=merged.get("account") or None,
    )


def _digest_hour(merged: dict[str, Any]) -> int:
    hour = int(merged.get("digestHour", 8))
    if not 0 <= hour <= 23:
        raise SettingsInvalid("digestHour must be an hour from 0 to 23")
    return hour


def _digest_zone(merged: dict[str, Any]) -> str:
    zone = str(merged.get("digestZone", "UTC"))
    if zone != "UTC":  # infra/candor_infra/digest.py says why
        raise SettingsInvalid("digestZone: only UTC until the function's bundle carries tzdata")
    return zone


def _path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else REPO_ROOT / path


def _positive(merged: dict[str, Any], key: str, default: int) -> int:
    return _at_least(merged, key, default, 1)


def _at_least(merged: dict[str, Any], key: str, default: int, low: int) -> int:
    """A concurrency of 0 means no reservation (infra/candor_infra/team_capacity.py)."""
    value = int(merged.get(key, default))
    if value < low:
        raise SettingsInvalid(f"{key} must be at least {low}")
    return value
