"""When the team's daily digest goes out (issue 12): parameters of the
stack, read by the hourly housekeeping function, which alone sends it
(chalicelib/config.py, `CANDOR_DIGEST_HOUR` and `CANDOR_DIGEST_ZONE`).

Only UTC for now: another zone needs the `tzdata` package in the function's
bundle, as the Lambda runtime may have no time zone database, and a zone it
cannot find would stop every housekeeping run at its cold start.
"""

from __future__ import annotations

from aws_cdk import CfnParameter, Stack

DIGEST_ZONES = ["UTC"]


def digest_environment(stack: Stack, hour: int, zone: str) -> dict[str, str]:
    """The housekeeping function's digest settings, as stack parameters."""
    hour_parameter = CfnParameter(
        stack,
        "DigestHour",
        type="Number",
        min_value=0,
        max_value=23,
        default=hour,
        description="Hour of the day (in DigestZone) the team's daily digest goes out",
    )
    zone_parameter = CfnParameter(
        stack,
        "DigestZone",
        type="String",
        allowed_values=DIGEST_ZONES,
        default=zone,
        description="Time zone of DigestHour (UTC only until the bundle carries tzdata)",
    )
    return {
        "CANDOR_DIGEST_HOUR": hour_parameter.value_as_string,
        "CANDOR_DIGEST_ZONE": zone_parameter.value_as_string,
    }
