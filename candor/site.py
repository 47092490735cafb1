"""The built pages as `candor serve` answers them: files below the site's
root and the headers each answer carries, as CloudFront serves the same
build in the cloud (infra/candor_infra/edge.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from candor import release

# What CloudFront adds to the one API answer any origin may read, the signed
# manifests that the offline verifier follows releases against
# (infra/candor_infra/edge.py's PUBLIC_API_PATH, protocol §4).
PUBLIC_API = {"/v1/manifest": {"Access-Control-Allow-Origin": "*"}}


@dataclass
class Site:
    """The built pages: files, the headers every static answer carries and
    the changes to them for some paths (headers.json's ``paths``, served as
    CloudFront's behaviours serve them: candor.release.headers_for)."""

    root: Path | None
    headers: Mapping[str, str]
    paths: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path | None) -> Site:
        raw: dict[str, Any] = {}
        if root is not None and (root / "headers.json").exists():
            raw = json.loads((root / "headers.json").read_text())
        headers = {name: value for name, value in raw.items() if isinstance(value, str)}
        return cls(root, headers, raw.get(release.PATHS) or {})

    def headers_for(self, path: str) -> dict[str, str]:
        """The headers of the answer to the URL ``path``."""
        return release.headers_for(self.headers, self.paths, unquote(path).lstrip("/"))

    def resolve(self, path: str) -> Path | None:
        if self.root is None:
            return None
        rel = unquote(path).removeprefix("/") or "index.html"
        if rel.endswith("/"):
            rel += "index.html"
        # Only a path naming its file directly, as an S3 key does: a dot or
        # empty segment (perhaps encoded, "..%2F") would reach a file that
        # headers_for, matching the path as written, gives other headers.
        if "\\" in rel or any(part in ("", ".", "..") for part in rel.split("/")):
            return None
        try:
            target = (self.root / rel).resolve()
            root = self.root.resolve()
            if root not in target.parents or not target.is_file():
                return None
        except (ValueError, OSError):  # NUL bytes, names too long, loops
            return None
        return None if target.name == "headers.json" else target
