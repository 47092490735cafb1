"""Configuration: the only module that reads the environment (docs/architecture.md rule 3)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
S3_MIN_PART = 5 * MiB
"""S3 completes no multipart upload with a part under this but the last."""


@dataclass(frozen=True)
class Limits:
    """protocol §4.1 defaults; all sizes are of decoded (sealed) bytes."""

    report: int = 1 * MiB
    message: int = 256 * KiB
    attachment: int = 1 * GiB
    attachment_ids: int = 10
    # Above this an attachment goes up in parts of part_size (protocol §4.2).
    multipart_above: int = 16 * MiB
    part_size: int = 8 * MiB
    stanzas: int = 32
    messages: int = 100
    notes: int = 100
    sealed_identity: int = 64 * KiB
    answer: int = 4 * MiB

    def body_limit(self, sealed_limit: int) -> int:
        """Largest request body accepted for a blob limit (protocol §0)."""
        return -(-sealed_limit * 4 // 3) + 64 * KiB


@dataclass(frozen=True)
class Puzzles:
    """Client puzzles checked by the app itself (protocol §4.1): the Lambda
    handler's. Off without a secret, as under ``candor serve``, which checks
    them in its HTTP layer before the app (never twice). ``rate`` and
    ``burst`` size each execution environment's anonymous bucket."""

    secret: bytes = b""
    rate: float = 20.0
    burst: int = 40

    @property
    def on(self) -> bool:
        return bool(self.secret)


@dataclass(frozen=True)
class Digest:
    """When the team's daily digest goes out: ``hour`` o'clock in ``zone``
    (an IANA name). A fixed hour, so no message says when a report came in."""

    hour: int = 8
    zone: str = "UTC"

    def tz(self) -> tzinfo:
        """UTC needs no time zone database (the Lambda runtime may have none:
        another zone needs the ``tzdata`` package in the function's bundle)."""
        from zoneinfo import ZoneInfo

        return UTC if self.zone == "UTC" else ZoneInfo(self.zone)


@dataclass(frozen=True)
class Settings:
    backend: str = "local"
    data_dir: str = ".candor-data"
    bucket: str = ""
    table: str = ""
    public_base_url: str = "http://127.0.0.1:8000"
    retention_days: int = 365
    notify_topic: str = ""
    digest: Digest = field(default_factory=Digest)
    limits: Limits = field(default_factory=Limits)
    puzzles: Puzzles = field(default_factory=Puzzles)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``CANDOR_*`` variables. Raises ValueError on a bad value."""
    env = os.environ if environ is None else environ
    backend = env.get("CANDOR_BACKEND", "local")
    if backend not in ("local", "aws"):
        raise ValueError("CANDOR_BACKEND must be 'local' or 'aws'")
    limits = load_limits(env)
    if backend == "aws" and limits.part_size < S3_MIN_PART:
        raise ValueError("CANDOR_PART_SIZE must be at least 5 MiB on S3")
    retention = int(env.get("CANDOR_RETENTION_DAYS", "365"))
    if retention < 1:
        raise ValueError("CANDOR_RETENTION_DAYS must be at least 1")
    return Settings(
        backend=backend,
        data_dir=env.get("CANDOR_DATA_DIR", ".candor-data"),
        bucket=env.get("CANDOR_BUCKET", ""),
        table=env.get("CANDOR_TABLE", ""),
        public_base_url=env.get("CANDOR_PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        retention_days=retention,
        notify_topic=env.get("CANDOR_NOTIFY_TOPIC", ""),
        digest=digest_of(env.get("CANDOR_DIGEST_HOUR", "8"), env.get("CANDOR_DIGEST_ZONE", "UTC")),
        puzzles=_puzzles(env),
        limits=limits,
    )


def load_limits(environ: Mapping[str, str] | None = None) -> Limits:
    """``CANDOR_PART_SIZE`` and ``CANDOR_MULTIPART_ABOVE`` (bytes; tests make
    them small, S3 needs parts of at least 5 MiB). Raises ValueError."""
    env = os.environ if environ is None else environ
    part_size = int(env.get("CANDOR_PART_SIZE", str(Limits.part_size)))
    above = int(env.get("CANDOR_MULTIPART_ABOVE", str(Limits.multipart_above)))
    if part_size < 1 or above < 1:
        raise ValueError("CANDOR_PART_SIZE and CANDOR_MULTIPART_ABOVE must be positive")
    return Limits(part_size=part_size, multipart_above=above)


def digest_of(hour: str, zone: str) -> Digest:
    """``CANDOR_DIGEST_HOUR`` (0-23) and ``CANDOR_DIGEST_ZONE`` (an IANA
    name such as Europe/Berlin). Raises ValueError."""
    from zoneinfo import ZoneInfoNotFoundError

    if not hour.isdigit() or not 0 <= int(hour) <= 23:
        raise ValueError("CANDOR_DIGEST_HOUR must be an hour from 0 to 23")
    try:
        Digest(int(hour), zone).tz()
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"CANDOR_DIGEST_ZONE: unknown time zone {zone!r}") from None
    return Digest(int(hour), zone)


MIN_SECRET = 32


def _puzzles(env: Mapping[str, str]) -> Puzzles:
    """``CANDOR_PUZZLE_SECRET`` (at least 32 characters; none: puzzles off in
    the app), ``CANDOR_PUZZLE_RATE``, ``CANDOR_PUZZLE_BURST``."""
    secret = env.get("CANDOR_PUZZLE_SECRET", "")
    if secret and len(secret) < MIN_SECRET:
        raise ValueError(f"CANDOR_PUZZLE_SECRET must be at least {MIN_SECRET} characters")
    rate = float(env.get("CANDOR_PUZZLE_RATE", "20"))
    burst = int(env.get("CANDOR_PUZZLE_BURST", "40"))
    if not (0 < rate < float("inf") and burst >= 1):
        raise ValueError("CANDOR_PUZZLE_RATE must be above 0 and CANDOR_PUZZLE_BURST at least 1")
    return Puzzles(secret.encode(), rate, burst)
