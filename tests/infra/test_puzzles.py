"""Client puzzles in the cloud (protocol §4.1): the API function's seed key
and buckets, CloudFront passing the proof and the challenge, and API
Gateway's limits above the rate at which puzzles start."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from conftest import REPO_ROOT, Synth, resources

STAGES = ["prod", "alt"]


def _puzzle_paths() -> set[str]:
    """chalicelib/load.py's PUZZLE_PATHS, read without importing the app."""
    tree = ast.parse((REPO_ROOT / "chalicelib" / "load.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PUZZLE_PATHS":
            return set(ast.literal_eval(node.value.args[0]))  # type: ignore[attr-defined]
    raise AssertionError("PUZZLE_PATHS not found")


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources(template, "AWS::Serverless::Function")


@pytest.mark.parametrize("stage", STAGES)
def test_only_the_api_function_gets_the_generated_seed_key_by_reference(
    synth: Synth, stage: str
) -> None:
    template = synth.templates[stage]
    secrets = resources(template, "AWS::SecretsManager::Secret")
    (puzzle_secret,) = [name for name in secrets if name.startswith("PuzzleSecret")]
    generated = secrets[puzzle_secret]["GenerateSecretString"]
    assert generated["PasswordLength"] >= 32 and generated["ExcludePunctuation"] is True
    fns = _functions(template)
    env = fns["APIHandler"]["Environment"]["Variables"]
    # Resolved by CloudFormation at deploy time: the template holds the ARN only.
    (parts,) = [env["CANDOR_PUZZLE_SECRET"]["Fn::Join"][1]]
    assert parts[0] == "{{resolve:secretsmanager:" and parts[1] == {"Ref": puzzle_secret}
    assert env["CANDOR_PUZZLE_RATE"] == {"Ref": "ThrottleRate"}
    assert env["CANDOR_PUZZLE_BURST"] == {"Ref": "ThrottleBurst"}
    for name, props in fns.items():
        if name != "APIHandler":
            assert not [k for k in props["Environment"]["Variables"] if "PUZZLE" in k], name


@pytest.mark.parametrize("stage", STAGES)
def test_routes_that_take_puzzles_have_limits_above_the_anonymous_ones(
    synth: Synth, stage: str
) -> None:
    template = synth.templates[stage]
    api = template["Resources"]["RestAPI"]["Properties"]
    paths = api["DefinitionBody"]["paths"]
    reporter = {s["ResourcePath"]: s for s in api["MethodSettings"]
                if s["ThrottlingRateLimit"] == {"Ref": "ReporterThrottleRate"}}
    expected = _puzzle_paths()
    assert {p.replace("~1", "/")[1:] for p in reporter} == expected
    for path in expected:
        assert "post" in paths[path]
        setting = reporter["/" + path.replace("/", "~1")]
        assert setting["HttpMethod"] == "POST"
        assert setting["ThrottlingBurstLimit"] == {"Ref": "ReporterThrottleBurst"}
        assert (setting["LoggingLevel"], setting["MetricsEnabled"]) == ("OFF", False)
    parameters = template["Parameters"]
    assert parameters["ReporterThrottleRate"]["Default"] > parameters["ThrottleRate"]["Default"]
    assert parameters["ReporterThrottleBurst"]["Default"] > parameters["ThrottleBurst"]["Default"]


def test_reporter_limits_below_the_puzzle_rate_are_refused() -> None:
    from candor_infra.settings import SettingsInvalid, stage_settings

    settings = stage_settings({"candor": {"throttleRate": 50, "throttleBurst": 60}}, "prod")
    assert (settings.reporter_throttle_rate, settings.reporter_throttle_burst) == (250, 300)
    with pytest.raises(SettingsInvalid, match="reporterThrottleRate"):
        stage_settings({"candor": {"throttleRate": 50, "reporterThrottleRate": 50}}, "prod")


@pytest.mark.parametrize("stage", STAGES)
def test_cloudfront_passes_the_proof_in_and_the_challenge_out(synth: Synth, stage: str) -> None:
    template = synth.templates[stage]
    (distribution,) = resources(template, "AWS::CloudFront::Distribution").values()
    (behaviour,) = [b for b in distribution["DistributionConfig"]["CacheBehaviors"]
                    if b["PathPattern"] == "/v1/*"]
    policies = template["Resources"]
    request = policies[behaviour["OriginRequestPolicyId"]["Ref"]]["Properties"]
    assert "Candor-Proof" in request["OriginRequestPolicyConfig"]["HeadersConfig"]["Headers"]
    answer = policies[behaviour["ResponseHeadersPolicyId"]["Ref"]]["Properties"][
        "ResponseHeadersPolicyConfig"]
    removed = {h["Header"].lower() for h in answer.get("RemoveHeadersConfig", {}).get("Items", [])}
    custom = {h["Header"].lower() for h in answer.get("CustomHeadersConfig", {}).get("Items", [])}
    assert not {"candor-puzzle", "retry-after"} & (removed | custom)
