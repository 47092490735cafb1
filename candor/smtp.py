"""The team's daily digest by e-mail, for ``candor serve --smtp URL`` (issue 12).

In the cloud the digest goes to an SNS topic; locally to an SMTP server.
The URL says how to reach it:

- ``smtp://host[:port]``: plain SMTP, port 25 by default (a relay on the
  same host or network);
- ``smtp+starttls://[user[:password]@]host[:port]``: STARTTLS, port 587;
- ``smtps://[user[:password]@]host[:port]``: TLS from the start, port 465.

User and password are percent-encoded in the URL; a password is refused
over plain SMTP, where it would cross the network in the clear. The
message carries what ``chalicelib.domain.notify`` wrote, nothing more.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote, urlsplit

from chalicelib.config import Digest
from chalicelib.config import digest_of as digest_settings

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TIMEOUT = 30.0


@dataclass(frozen=True)
class SmtpTarget:
    """Where the digest goes and from whom it comes."""

    scheme: str
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    user: str = ""
    password: str = field(default="", repr=False)
    # None: the system's trusted certificates (tests pass their own).
    tls: ssl.SSLContext | None = field(default=None, repr=False, compare=False)


def parse_target(url: str, sender: str, recipients: Sequence[str]) -> SmtpTarget:
    """Raises ValueError, naming what is wrong (never echoing a password)."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError("the SMTP URL must start with smtp://, smtp+starttls:// or smtps://")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ValueError("the SMTP URL's port must be a number from 1 to 65535") from None
    if not parts.hostname:
        raise ValueError("the SMTP URL names no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("the SMTP URL takes no path or query")
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    if password and parts.scheme == "smtp":
        raise ValueError("a password needs smtp+starttls:// or smtps://, "
                         "never plain smtp:// where it would cross the network in the clear")
    if not recipients:
        raise ValueError("--smtp needs at least one --smtp-to address")
    for address in (sender, *recipients):
        if "@" not in address or any(c in address for c in "\r\n,<> "):
            raise ValueError(f"not an e-mail address: {address!r}")
    return SmtpTarget(parts.scheme, parts.hostname, port, sender, tuple(recipients),
                      user, password)


def compose(target: SmtpTarget, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = target.sender
    message["To"] = ", ".join(target.recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message.set_content(text)
    return message


def send(target: SmtpTarget, subject: str, text: str) -> None:
    """Raises OSError or smtplib.SMTPException when the server refuses."""
    message = compose(target, subject, text)
    context = target.tls or ssl.create_default_context()
    client: smtplib.SMTP
    if target.scheme == "smtps":
        client = smtplib.SMTP_SSL(target.host, target.port, timeout=TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=TIMEOUT)
    with client:
        if target.scheme == "smtp+starttls":
            client.starttls(context=context)
        if target.user:
            client.login(target.user, target.password)
        client.send_message(message)


def smtp_publisher(target: SmtpTarget) -> Callable[[str, str], None]:
    """``publish(subject, text)`` for ``chalicelib.domain.notify.run``."""

    def publish(subject: str, text: str) -> None:
        send(target, subject, text)

    return publish


# -- the command line (candor serve, candor demo) --------------------------------
def add_digest_arguments(parser: Any) -> None:
    parser.add_argument("--smtp", metavar="URL",
                        help="send the team's daily digest by e-mail: smtp://host[:port], "
                             "smtp+starttls://[user:password@]host[:port] or smtps://...")
    parser.add_argument("--smtp-from", default="candor@localhost", metavar="ADDRESS",
                        help="the digest's sender (default: candor@localhost)")
    parser.add_argument("--smtp-to", action="append", default=[], metavar="ADDRESS",
                        help="a recipient of the digest (repeat for more)")
    parser.add_argument("--digest-hour", default="8", metavar="HOUR",
                        help="the hour, 0 to 23, the digest goes out (default: 8)")
    parser.add_argument("--digest-zone", default="UTC", metavar="ZONE",
                        help="the digest hour's time zone, e.g. Europe/Berlin (default: UTC)")


def digest_of(args: Any) -> tuple[Digest, SmtpTarget | None]:
    """The digest's schedule and SMTP target from the arguments. Raises
    ValueError."""
    try:
        schedule = digest_settings(args.digest_hour, args.digest_zone)
    except ValueError as exc:  # name the options, not the variables
        text = str(exc).replace("CANDOR_DIGEST_HOUR", "--digest-hour")
        raise ValueError(text.replace("CANDOR_DIGEST_ZONE", "--digest-zone")) from None
    if args.smtp is None:
        if args.smtp_to:
            raise ValueError("--smtp-to needs --smtp URL")
        return schedule, None
    return schedule, parse_target(args.smtp, args.smtp_from, args.smtp_to)
