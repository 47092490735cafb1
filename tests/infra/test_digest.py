"""The daily digest's hour and zone (issue 12): stack parameters that reach
the hourly housekeeping function only (chalicelib/config.py reads them)."""

from __future__ import annotations

import pytest
from conftest import Synth, resources

STAGES = ["prod", "alt"]


@pytest.mark.parametrize("stage", STAGES)
def test_only_the_housekeeping_learns_when_the_digest_goes_out(synth: Synth, stage: str) -> None:
    template = synth.templates[stage]
    parameters = template["Parameters"]
    assert (parameters["DigestHour"]["Default"], parameters["DigestHour"]["MinValue"],
            parameters["DigestHour"]["MaxValue"]) == (8, 0, 23)
    assert parameters["DigestZone"]["AllowedValues"] == ["UTC"]
    functions = resources(template, "AWS::Serverless::Function")
    for name, props in functions.items():
        env = props["Environment"]["Variables"]
        if name in ("APIHandler", "TeamHandler"):
            assert not [k for k in env if k.startswith("CANDOR_DIGEST")], name
        else:
            assert env["CANDOR_DIGEST_HOUR"] == {"Ref": "DigestHour"}
            assert env["CANDOR_DIGEST_ZONE"] == {"Ref": "DigestZone"}


def test_an_hour_outside_the_day_or_a_zone_the_bundle_cannot_read_is_refused() -> None:
    from candor_infra.settings import SettingsInvalid, stage_settings

    settings = stage_settings({"candor": {"digestHour": 17}}, "prod")
    assert (settings.digest_hour, settings.digest_zone) == (17, "UTC")
    with pytest.raises(SettingsInvalid, match="digestHour"):
        stage_settings({"candor": {"digestHour": 24}}, "prod")
    with pytest.raises(SettingsInvalid, match="tzdata"):
        stage_settings({"candor": {"digestZone": "Europe/Berlin"}}, "prod")
