"""The daily digest by e-mail (issue 12), through a real SMTP server on
loopback (aiosmtpd): the scripted week, STARTTLS with a login, and
``candor serve --smtp`` sending it at the set hour."""

from __future__ import annotations

import datetime as dt
import email
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from candor import smtp
from candor.reporter import submit
from chalicelib.domain import notify
from chalicelib.store import keys
from chalicelib.store.local import LocalCaseStore
from tests.backends import FakeClock
from tests.support import digest_week
from tests.support.live import ROOT, _wait_for_url
from tests.support.team import Api, Team, make_api

TEAM = ("team@example.org", "counsel@example.org")


class Inbox:
    """aiosmtpd's handler: keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(**options: Any) -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode().replace("\r\n", "\n")


def test_a_week_of_digests_by_email(local_api: Api) -> None:
    with smtp_server() as (inbox, port):
        target = smtp.parse_target(f"smtp://127.0.0.1:{port}", "candor@example.org", TEAM)
        week = digest_week.play(local_api, smtp.smtp_publisher(target))
    assert [(sender, to) for sender, to, _ in inbox.messages] == [
        ("candor@example.org", list(TEAM))] * 7
    assert {m["Subject"] for _, _, m in inbox.messages} == {notify.SUBJECT}
    texts = [_body(m) for _, _, m in inbox.messages]
    assert texts == week.texts
    digest_week.check_sent(week, texts)


def _self_signed(tmp: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A certificate for 127.0.0.1: the server's context and a client's
    context that trusts it (and nothing else)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    return server, ssl.create_default_context(cafile=str(tmp / "cert.pem"))


def test_starttls_and_login(tmp_path: Path) -> None:
    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                     data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"candor", b"p@ss:word")
        return AuthResult(success=ok, handled=False)

    server_tls, client_tls = _self_signed(tmp_path)
    with smtp_server(tls_context=server_tls, require_starttls=True, authenticator=authenticate,
                     auth_required=True) as (inbox, port):
        url = f"smtp+starttls://candor:p%40ss%3Aword@127.0.0.1:{port}"
        target = smtp.parse_target(url, "candor@example.org", TEAM[:1])
        smtp.send(smtp.SmtpTarget(**{**target.__dict__, "tls": client_tls}), "s", "digest\n")
        wrong = smtp.parse_target(url.replace("%3A", "%3B"), "candor@example.org", TEAM[:1])
        with pytest.raises(smtp.smtplib.SMTPAuthenticationError):
            smtp.send(smtp.SmtpTarget(**{**wrong.__dict__, "tls": client_tls}), "s", "x\n")
        with pytest.raises(ssl.SSLCertVerificationError):  # the system's roots only
            smtp.send(target, "s", "x\n")
    assert [_body(m) for _, _, m in inbox.messages] == ["digest\n"]


@pytest.mark.parametrize(("url", "error"), [
    ("http://127.0.0.1", "must start with smtp://"),
    ("smtp://", "names no host"),
    ("smtp://127.0.0.1:99999", "port must be a number"),
    ("smtp://127.0.0.1/inbox", "no path or query"),
    ("smtp://127.0.0.1?starttls=1", "no path or query"),
    ("smtp://user:secret-pw@127.0.0.1", "a password needs smtp\\+starttls"),
])
def test_a_bad_smtp_url_is_refused_without_echoing_a_password(url: str, error: str) -> None:
    with pytest.raises(ValueError, match=error) as refused:
        smtp.parse_target(url, "candor@example.org", TEAM)
    assert "secret-pw" not in str(refused.value)


def test_addresses_are_checked() -> None:
    with pytest.raises(ValueError, match="at least one --smtp-to"):
        smtp.parse_target("smtp://127.0.0.1", "candor@example.org", [])
    with pytest.raises(ValueError, match="not an e-mail address"):
        smtp.parse_target("smtp://127.0.0.1", "candor@example.org", ["a@b.org\r\nBcc: x@y"])


def test_candor_serve_sends_the_digest_at_the_set_hour(tmp_path: Path, team: Team) -> None:
    """The hour set is the current one: the first check, at start-up, sends
    the digest and records the day."""
    data = tmp_path / "data"
    api = make_api(LocalCaseStore(data, clock=FakeClock()), team, FakeClock())
    submit(api.anonymous, team.manifest, {"summary": digest_week.SECRET}, today=api.ctx.today())
    now = dt.datetime.now(dt.UTC)
    if now.minute == 59 and now.second > 40:  # start within the hour
        time.sleep(61 - now.second)
    hour = dt.datetime.now(dt.UTC).hour
    with smtp_server() as (inbox, port):
        proc = subprocess.Popen(
            [sys.executable, "-m", "candor", "serve", "--data-dir", str(data), "--port", "0",
             "--smtp", f"smtp://127.0.0.1:{port}", "--smtp-to", TEAM[0],
             "--digest-hour", str(hour)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            _wait_for_url(proc, tmp_path / "no-log")
            deadline = time.monotonic() + 30
            while not inbox.messages and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    [(sender, to, message)] = inbox.messages
    assert (sender, to, message["Subject"]) == ("candor@localhost", [TEAM[0]], notify.SUBJECT)
    assert "New reports since the last digest: 1\n" in _body(message)
    assert digest_week.SECRET not in _body(message)
    state = LocalCaseStore(data).get(keys.DIGEST_STATE)
    assert state is not None and state.data["day"] == dt.datetime.now(dt.UTC).date().isoformat()
