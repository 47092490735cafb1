"""The team's command line against ``candor serve`` over HTTP (issue 4)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from candor import audit
from candor import keyfile as kf
from candor.client import ApiClient, HttpTransport
from candor.reporter import Evidence, follow_up, submit
from tests.support.live import PASSPHRASE, LiveMember, LiveServer

ROOT = Path(__file__).resolve().parents[2]


def candor(server: LiveServer, member: LiveMember, *args: str,
           ok: bool = True) -> subprocess.CompletedProcess[str]:
    anchor = server.data_dir.parent / "manifest.json"
    cmd = [sys.executable, "-m", "candor", *args, "--key", str(member.keyfile_path),
           "--api", server.url, "--manifest", str(anchor)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "CANDOR_PASSPHRASE": PASSPHRASE,
                               "COLUMNS": "200"})
    assert (done.returncode == 0) == ok, done.stderr + done.stdout
    return done


def test_reviewer_reads_and_answers_and_admin_manages_the_team(
    live_api: LiveServer, tmp_path: Path
) -> None:
    ada, grace, alan = live_api.team
    reporter = ApiClient(HttpTransport(live_api.url))
    sub = submit(reporter, live_api.manifest,
                 {"category": "data_leak", "summary": "Customer list on a forum",
                  "details": "Posted\x1b]0;pwned\x07 by \u202eevil\u202c.\nTwo lines."},
                 exclude=[alan.member_id],
                 files=[Evidence("list\u202etxt.exe", b"name,email\n")])

    listed = candor(live_api, grace, "cases", "list").stdout
    assert "Customer list on a forum" in listed
    case_id = next(w for w in listed.split() if w.startswith("c_"))
    assert "Customer list" not in candor(live_api, alan, "cases", "list").stdout
    refused = candor(live_api, alan, "cases", "show", case_id, ok=False)
    assert "not_found" in refused.stderr and refused.stderr.count("\n") == 1

    shown = candor(live_api, grace, "cases", "show", case_id).stdout
    assert "data_leak" in shown and "txt.exe" not in shown  # names only in the export
    # No escape sequence or bidi override of the reporter's reaches the terminal
    # (issue 13 finding 4, protocol §6); line breaks stay.
    assert "Posted]0;pwned by evil.\n" in shown and "Two lines." in shown
    assert "\x1b" not in shown and "\u202e" not in shown
    candor(live_api, grace, "cases", "reply", case_id, "Thank you. Is it still online?")
    candor(live_api, grace, "cases", "note", case_id, "Legal informed.")
    candor(live_api, grace, "cases", "status", case_id, "acknowledged")

    visit = follow_up(reporter, sub.receipt, live_api.manifest)
    assert [(d["text"], ok) for d, ok in visit.read_messages(live_api.manifest)] == [
        ("Thank you. Is it still online?", True)]
    assert visit.status["status"] == "acknowledged"

    export = tmp_path / "export"
    candor(live_api, grace, "cases", "export", case_id, "-o", str(export))
    attachments = json.loads((export / "attachments.json").read_text())
    # The name as sent, as evidence, and the label a reader should see.
    assert [(a["name"], a["label"]) for a in attachments] == [("list\u202etxt.exe", "listtxt.exe")]
    assert (export / attachments[0]["file"]).read_bytes() == b"name,email\n"
    assert json.loads((export / "notes.json").read_text())[0]["text"] == "Legal informed."

    newcomer = kf.create_keyfile(live_api.url)
    card = tmp_path / "hedy.card.json"
    card.write_text(json.dumps(kf.public_card(newcomer, "Hedy Lamarr", "Comms", "reviewer")))
    refused = candor(live_api, grace, "members", "add", str(card), ok=False)
    assert "forbidden" in refused.stderr
    candor(live_api, ada, "members", "add", str(card))
    out = tmp_path / "manifest-v2.json"
    published = candor(live_api, ada, "manifest", "publish", "--yes", "--out", str(out))
    assert "Hedy Lamarr" in published.stdout
    assert json.loads(out.read_text())["version"] == 2
    assert "Hedy Lamarr" in candor(live_api, grace, "members", "list").stdout

    verified = candor(live_api, ada, "audit", "verify")
    assert "audit log verified" in verified.stdout
    # The head is kept in the console's head file format (protocol §4.6),
    # so the CLI and the console check each other's remembered head.
    head_path = Path(str(ada.keyfile_path) + ".audit-head")
    head = audit.parse_head(json.loads(head_path.read_text()))
    assert f"head {head[1]}" in verified.stdout
    candor(live_api, ada, "audit", "verify")  # the remembered head is still there
    head_path.write_text(json.dumps(audit.head_file((head[0], "A" * 43))))
    forged = candor(live_api, ada, "audit", "verify", ok=False)
    assert "gone or changed" in forged.stdout
    head_path.write_text(json.dumps(list(head)))  # a head file written by candor 0.1
    candor(live_api, ada, "audit", "verify")


def test_keys_rotate_writes_name_date_key_file(live_api: LiveServer) -> None:
    _, grace, _ = live_api.team
    before = kf.open_keyfile(grace.keyfile_path, PASSPHRASE)
    rotated = candor(live_api, grace, "keys", "rotate")
    today = datetime.now(UTC).date().isoformat()
    new_path = grace.keyfile_path.parent / f"grace-hopper-{today}.candor-key"
    assert str(new_path) in rotated.stdout
    assert kf.open_keyfile(grace.keyfile_path, PASSPHRASE) == before  # the old file stays
    after = kf.open_keyfile(new_path, PASSPHRASE)
    assert after.identities[1:] == before.identities
    assert after.signing_seed != before.signing_seed
    grace.keyfile_path = new_path
    candor(live_api, grace, "cases", "list")  # the new key signs
    # A second rotation before a publish is refused, and leaves no key file behind.
    again = candor(live_api, grace, "keys", "rotate", ok=False)
    assert "conflict" in again.stderr
    assert not (new_path.parent / f"grace-hopper-{today}-2.candor-key").exists()


def test_cases_show_prints_the_playbook_of_the_category(
    live_api: LiveServer, tmp_path: Path
) -> None:
    """The console's checklist, in the terminal too (issue 16): the steps of
    the report's category, none ticked yet; a playbooks file of the
    operator's own with --playbooks."""
    _, grace, _ = live_api.team
    submit(ApiClient(HttpTransport(live_api.url)), live_api.manifest,
           {"category": "confidential_leak", "summary": "Roadmap on a forum"})
    listed = candor(live_api, grace, "cases", "list").stdout
    case_id = next(w for w in listed.split() if w.startswith("c_"))
    shown = candor(live_api, grace, "cases", "show", case_id).stdout
    steps = json.loads((ROOT / "frontend" / "playbooks.json").read_text())["playbooks"][
        "confidential_leak"]
    assert "Playbook:" in shown and f"0 of {len(steps)} steps done" in shown
    assert steps[0]["text"]["en"] in shown
    own = tmp_path / "playbooks.json"
    books = json.loads((ROOT / "frontend" / "playbooks.json").read_text())
    books["playbooks"]["confidential_leak"] = steps[:1]
    own.write_text(json.dumps(books))
    mine = candor(live_api, grace, "cases", "show", case_id, "--playbooks", str(own)).stdout
    assert "0 of 1 steps done" in mine


def test_cases_list_keeps_the_members_inbox_index(live_api: LiveServer) -> None:
    """`candor cases list` reads and writes the same inbox index as the
    console (issue 20): after a listing, the member's index is stored, and the
    next listing still shows every summary."""
    _, grace, _ = live_api.team
    submit(ApiClient(HttpTransport(live_api.url)), live_api.manifest,
           {"category": "harassment", "summary": "Messages after hours"})
    first = candor(live_api, grace, "cases", "list").stdout
    assert "Messages after hours" in first
    index = live_api.team_get(grace, "/v1/team/index")
    assert index["sealed"] and index["version"] >= 1
    assert "Messages after hours" in candor(live_api, grace, "cases", "list").stdout
    assert live_api.team_get(grace, "/v1/team/index")["version"] == index["version"]
