"""``candor report submit`` and ``candor webhook serve`` (protocol §4.4,
"Filing"; docs/operations.md, "Monitoring alerts"): a phone report with an
attachment and a monitoring alert posted to the webhook arrive as cases that
the team decrypts, each with its source; the caller's receipt opens the
follow-up; the webhook refuses alerts the shared secret does not prove."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from candor import reporter, teamops, webhook
from candor.client import ApiClient, local_transport
from candor.receipt import Receipt
from tests.cli.test_installed import PASS, ROOT, candor, local_team
from tests.support.team import MEMBERS, Team, make_team

SECRET = b"0123456789abcdef-shared-secret"


@pytest.fixture(scope="module")
def with_intake() -> Team:
    return make_team((*MEMBERS, ("Ivy Intake", "Monitoring", "intake")))


def _ada(data: Path, team: Team) -> teamops.Session:
    ada = team.by_name("Ada")
    return teamops.Session(ApiClient(local_transport(str(data)), ada.key), ada.key,
                           team.manifest)


def _filed(data: Path, team: Team) -> dict[str, tuple[dict[str, Any], teamops.CaseView]]:
    """Every case by source, with Ada's decrypted view."""
    s = _ada(data, team)
    return {c["source"]: (c, teamops.read_case(s, c["id"]))
            for c in s.get("/v1/team/cases")["cases"]}


def test_report_submit_files_a_phone_report_and_shows_its_receipt(
    tmp_path: Path, with_intake: Team
) -> None:
    data, anchor = local_team(tmp_path, with_intake)
    answers = tmp_path / "call.json"
    answers.write_text(json.dumps({"category": "harassment", "summary": "Caller: threats by DM",
                                   "details": "Since Monday, from a new account."}))
    photo = tmp_path / "screenshot.png"
    photo.write_bytes(b"\x89PNG fake screenshot bytes")
    done = candor("report", "submit", "--data-dir", str(data), "--manifest", str(anchor),
                  "--key", str(tmp_path / "grace.candor-key"), "--source", "phone",
                  "--answers", str(answers), "--field", "where=Reception desk",
                  "--original", str(photo), "--exclude", with_intake.by_name("Alan").id,
                  "--json")
    printed = json.loads(done.stdout)
    assert printed["source"] == "phone" and printed["receipt"]

    ((case, view),) = _filed(data, with_intake).values()
    assert case["source"] == "phone" and case["drill"] is False
    assert with_intake.by_name("Alan").id not in case["access"]  # the caller left him out
    assert view.report["form"] == {"category": "harassment", "summary": "Caller: threats by DM",
                                   "details": "Since Monday, from a new account.",
                                   "where": "Reception desk"}
    assert [a["name"] for a in view.report["attachments"]] == ["screenshot.png"]
    visit = reporter.follow_up(ApiClient(local_transport(str(data))),
                               Receipt.parse(printed["receipt"]), with_intake.manifest)
    assert visit.read_report()["form"]["summary"] == "Caller: threats by DM"


def test_attach_refuses_files_whose_metadata_stays_and_original_sends_them_as_they_are(
    tmp_path: Path, with_intake: Team
) -> None:
    data, anchor = local_team(tmp_path, with_intake)
    args = ("report", "submit", "--data-dir", str(data), "--manifest", str(anchor),
            "--key", str(tmp_path / "grace.candor-key"), "--source", "walk-in",
            "--summary", "Walk-in: badge photos posted", "--json")
    # A JPEG renamed .txt is still a JPEG: its first bytes say so.
    photo = tmp_path / "badge.txt"
    photo.write_bytes(b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00GPS 48.85N 2.35E")
    refused = candor(*args, "--attach", str(photo), ok=False)
    assert "a JPEG photo may carry its author, device or location" in refused.stderr
    assert f"--original {photo}" in refused.stderr
    for head in (b"%PDF-1.7\n", b"PK\x03\x04docx", b"\x00\x00\x00\x18ftypheic", b"GIF89a"):
        other = tmp_path / "other.bin"
        other.write_bytes(head + b" rest")
        assert "may carry its author" in candor(*args, "--attach", str(other), ok=False).stderr
    assert _filed(data, with_intake) == {}, "a refused file files nothing"
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"Seen at 9:10 on the staff board.")
    candor(*args, "--attach", str(notes), "--original", str(photo))
    ((_, view),) = _filed(data, with_intake).values()
    assert [a["name"] for a in view.report["attachments"]] == ["notes.txt", "badge.txt"]
    opened = [teamops.attachment(_ada(data, with_intake), view.case["id"], a)
              for a in view.report["attachments"]]
    assert opened == [notes.read_bytes(), photo.read_bytes()]


def test_report_submit_needs_a_summary(tmp_path: Path, with_intake: Team) -> None:
    data, anchor = local_team(tmp_path, with_intake)
    refused = candor("report", "submit", "--data-dir", str(data), "--manifest", str(anchor),
                     "--key", str(tmp_path / "grace.candor-key"), "--source", "walk-in",
                     "--details", "no summary", ok=False)
    assert "needs a summary" in refused.stderr


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    assert url.startswith("http://127.0.0.1:")
    headers = {"Content-Type": "application/json", **headers}
    request = urllib.request.Request(url, body, headers, method="POST")  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - loopback
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_monitoring_alert_through_the_webhook_becomes_a_case(
    tmp_path: Path, with_intake: Team
) -> None:
    data, anchor = local_team(tmp_path, with_intake)
    secret = tmp_path / "webhook.secret"
    secret.write_bytes(SECRET + b"\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "candor", "webhook", "serve", "--data-dir", str(data),
         "--manifest", str(anchor), "--key", str(tmp_path / "ivy.candor-key"),
         "--secret-file", str(secret), "--port", "0", "--category", "account_compromised"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "CANDOR_PASSPHRASE": PASS, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, line + (proc.stderr.read() if proc.stderr
                                                                 else "")
        url = line.split()[2].rstrip(";")
        alert = {"title": "New login to @brand from an unknown country",
                 "description": "Account activity monitor: login from 203.0.113.9.",
                 "account": "@brand", "severity": "high"}
        body = json.dumps(alert).encode()
        unsigned = _post(url, body, {})
        assert unsigned[0] == 401
        forged = _post(url, body, {"X-Candor-Signature": webhook.sign_alert(
            b"not the secret at all", body, int(time.time()))})
        assert forged[0] == 401
        signature = webhook.sign_alert(SECRET, body, int(time.time()))
        status, answer = _post(url, body, {"X-Candor-Signature": signature})
        assert status == 201 and answer["received"]
        assert _post(url, body, {"X-Candor-Signature": signature})[0] == 401  # a replay
        assert _post(url, b"[1]", {"Authorization": "Bearer " + SECRET.decode()})[0] == 400
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    ((case, view),) = _filed(data, with_intake).values()
    assert case["source"] == "monitoring"
    assert with_intake.by_name("Ivy").id not in case["access"]
    form = view.report["form"]
    assert form["summary"] == alert["title"] and form["category"] == "account_compromised"
    assert alert["description"] in form["details"] and '"severity": "high"' in form["details"]


def test_the_gate_takes_a_bearer_secret_and_refuses_stale_signatures() -> None:
    now = 1_800_000_000.0
    gate = webhook.AlertGate(SECRET, lambda: now)
    gate.check({"authorization": "Bearer " + SECRET.decode()}, b"{}")
    with pytest.raises(webhook.AlertRefused):
        gate.check({"authorization": "Bearer wrong"}, b"{}")
    stale = webhook.sign_alert(SECRET, b"{}", int(now) - webhook.SKEW_SECONDS - 1)
    with pytest.raises(webhook.AlertRefused, match="too old"):
        gate.check({"x-candor-signature": stale}, b"{}")
    with pytest.raises(webhook.AlertRefused, match="does not verify"):  # another body
        gate.check({"x-candor-signature": webhook.sign_alert(SECRET, b"{}", int(now))}, b"[]")


def test_the_webhook_listens_on_loopback_only() -> None:
    for host in ("0.0.0.0", "192.0.2.1", "example.org"):  # noqa: S104  # refused, never bound
        with pytest.raises(ValueError, match="loopback"):
            webhook.require_loopback(host)
    webhook.require_loopback("::1")


def test_an_alert_becomes_a_form_that_keeps_all_it_said() -> None:
    form = webhook.alert_form({"rule": "brand mention spike", "count": 40}, None)
    assert form["summary"] == "brand mention spike" and "category" not in form
    assert '"count": 40' in form["details"]
    assert webhook.alert_form({"x": 1}, "other")["summary"] == "Monitoring alert"
    with pytest.raises(webhook.AlertRefused):
        webhook.alert_form([], None)


def test_no_route_names_the_intake_member(tmp_path: Path, with_intake: Team) -> None:
    data, anchor = local_team(tmp_path, with_intake)
    refused = candor("manifest", "routes", "set", "harassment", with_intake.by_name("Ivy").id,
                     "--yes", "--data-dir", str(data), "--manifest", str(anchor),
                     "--key", str(tmp_path / "ada.candor-key"), ok=False)
    assert refused.stderr.count("\n") == 1 and "is an intake member" in refused.stderr
