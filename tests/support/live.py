"""``candor serve`` in a subprocess, with a test team, for end-to-end tests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from candor import keyfile as kf
from candor import teamops
from candor.client import ApiClient, HttpTransport
from candor.opscli import build_site
from chalicelib.domain import team_roster
from chalicelib.domain.cases import Context
from chalicelib.store.local import LocalCaseStore
from tests.support.team import Team

PASSPHRASE = "test passphrase, not a secret"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LiveMember:
    name: str
    role: str
    member_id: str
    keyfile_path: Path
    passphrase: str
    keyfile: kf.KeyFile = field(repr=False)


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    site_dir: Path
    team: list[LiveMember]
    manifest: dict[str, Any]
    process: subprocess.Popen[str] = field(repr=False)
    log_path: Path = field(repr=False)

    def client(self, member: LiveMember) -> ApiClient:
        return ApiClient(HttpTransport(self.url), member.keyfile)

    def session(self, member: LiveMember) -> teamops.Session:
        return teamops.Session(self.client(member), member.keyfile, self.manifest)

    def team_get(self, member: LiveMember, path: str) -> Any:
        return self.client(member).call("GET", path)

    def reply_as(self, member: LiveMember, case_id: str, text: str) -> dict[str, Any]:
        s = self.session(member)
        return teamops.write(s, teamops.read_case(s, case_id), "message", text)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_live_server(tmp: Path, team: Team, *, build: bool = True) -> LiveServer:
    data, site = tmp / "data", tmp / "site"
    team_roster.bootstrap(Context(LocalCaseStore(data)), team.manifest)
    manifest_path = tmp / "manifest.json"
    manifest_path.write_text(json.dumps(team.manifest))
    if build:
        build_site(manifest_path, site)
    members = []
    for m in team.members:
        path = tmp / f"{m.name.split()[0].lower()}.candor-key"
        kf.write_keyfile(m.key, path, PASSPHRASE)
        members.append(LiveMember(m.name, m.role, m.id, path, PASSPHRASE, m.key))
    log_path = tmp / "serve.log"
    log = open(log_path, "w")  # noqa: SIM115 -- closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "candor", "serve", "--data-dir", str(data), "--port", "0",
         *(["--static", str(site)] if build else [])],
        stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = _wait_for_url(proc, log_path)
    return LiveServer(url, data, site, members, team.manifest, proc, log_path)


def _wait_for_url(proc: subprocess.Popen[str], log_path: Path) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise RuntimeError("candor serve exited: " + log_path.read_text()[-2000:])
        found = re.search(r"Reporter page:\s+(http://\S+?)/?$", line.strip())
        if found:
            _drain(proc.stdout)
            return found.group(1)
    proc.kill()
    raise RuntimeError("candor serve did not start")


def _drain(stream: IO[str]) -> None:
    """Keep reading the server's stdout, which nobody looks at after start-up:
    once a pipe's buffer (64 KiB) is full, the server would block writing."""
    def discard() -> None:
        for _ in stream:
            pass

    threading.Thread(target=discard, daemon=True).start()
