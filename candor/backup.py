"""``candor backup`` and ``candor restore``: a local data directory in one
archive, taken while ``candor serve`` keeps serving (docs/operations.md).

The index is copied with SQLite's online backup API, in one step, so it is
one committed state (the snapshot). Blob files are write-once and complete
once visible (chalicelib/store/local.py links them into place), so they
can be read while the server runs. The order makes the archive match the
snapshot: every file is copied first (pass 1), then the snapshot is taken,
then the directory is listed again and what is new is copied (pass 2).
A blob is written before the index row that names it, so every blob the
snapshot names is on that second listing; a file gone from it was deleted
before the snapshot saw the directory, and is left out of the restore. A
blob claimed or released between the passes is restored where the
snapshot's ``uploads`` table says it lives.

The archive is a tar file (blobs are ciphertext: compression gains
nothing) of ``data/…`` members and, last, ``backup.json``: the SHA-256 of
every member and which member each restored file comes from. Its own
SHA-256 is the digest ``candor backup`` prints; restore checks it when
given, which catches an archive replaced whole, hashes included.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from chalicelib.store.keys import LocalLayout

FORMAT = "candor-backup/1"
MANIFEST = "backup.json"
INDEX = "index.sqlite3"
_SKIPPED = {INDEX, INDEX + "-wal", INDEX + "-shm", INDEX + "-journal"}
_BLOB_DIRS = ("blobs", "uploads")


class BackupInvalid(ValueError):
    """The archive is damaged, altered, or not a Candor backup; or the
    directory to back up or restore into is not fit for it."""


class _Hashing:
    """A file object that hashes what tarfile reads from it."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner, self.sha = inner, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.sha.update(data)
        return data


def _listing(root: Path) -> set[str]:
    """Every regular file under ``root`` as a relative POSIX path, without
    the index (snapshotted instead) and ``tmp/`` (half-written files)."""
    found = set()
    for folder, dirs, files in os.walk(root):
        here = Path(folder).relative_to(root)
        dirs[:] = [d for d in dirs if not (here == Path(".") and d == "tmp")]
        for name in files:
            rel = (here / name).as_posix()
            if rel not in _SKIPPED and (Path(folder) / name).is_file():
                found.add(rel)
    return found


def _add(tar: tarfile.TarFile, source: Path, member: str) -> str | None:
    """Copy ``source`` into the archive; its SHA-256, or None if it vanished."""
    try:
        f = open(source, "rb")  # noqa: SIM115 -- closed below, after tarfile read it
    except FileNotFoundError:
        return None
    with f:
        info = tarfile.TarInfo(member)
        info.size, info.mode = os.fstat(f.fileno()).st_size, 0o600
        info.mtime = int(datetime.now(UTC).timestamp())
        hashing = _Hashing(f)
        tar.addfile(info, hashing)
        return hashing.sha.hexdigest()


def _snapshot(index: Path, into: Path) -> set[str]:
    """Copy the index with the online backup API; the upload keys it holds."""
    source = sqlite3.connect(index, timeout=30)
    target = sqlite3.connect(into)
    try:
        source.backup(target)  # one step: one consistent read transaction
        return {row[0] for row in target.execute("SELECT key FROM uploads")}
    finally:
        target.close()
        source.close()


def _restored_name(rel: str, unclaimed: set[str]) -> str:
    parts = rel.split("/")
    if len(parts) == 2 and parts[0] in _BLOB_DIRS:
        return ("uploads/" if parts[1] in unclaimed else "blobs/") + parts[1]
    return rel


def backup(data_dir: Path, output: Path,
           progress: Callable[[str], None] = lambda line: None) -> str:
    """Write the archive (``output`` must not exist). Returns its digest.
    Raises BackupInvalid, OSError."""
    layout = LocalLayout(data_dir)
    if not layout.index.is_file():
        raise BackupInvalid(f"{data_dir} is not a Candor data directory (no {INDEX})")
    hashes: dict[str, str] = {}
    with open(output, "xb") as f, tarfile.open(fileobj=f, mode="w",
                                               format=tarfile.PAX_FORMAT) as tar:
        os.chmod(output, 0o600)
        for rel in sorted(_listing(data_dir)):
            if (digest := _add(tar, data_dir / rel, "data/" + rel)) is not None:
                hashes["data/" + rel] = digest
        progress(f"copied {len(hashes)} files")
        with tempfile.TemporaryDirectory() as tmp:
            unclaimed = _snapshot(layout.index, Path(tmp) / INDEX)
            progress("index snapshot taken")
            after = _listing(data_dir)
            hashes["data/" + INDEX] = _add(tar, Path(tmp) / INDEX, "data/" + INDEX) or ""
        files = _second_pass(tar, data_dir, after, unclaimed, hashes)
        progress(f"copied {len(after)} files present at the snapshot")
        body = json.dumps({"format": FORMAT, "created": datetime.now(UTC).isoformat(),
                           "members": hashes, "files": files}, indent=1).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(body), 0o600
        tar.addfile(info, io.BytesIO(body))
        f.flush()
        os.fsync(f.fileno())
    return hashlib.sha256(body).hexdigest()


def _second_pass(tar: tarfile.TarFile, data_dir: Path, after: set[str], unclaimed: set[str],
                 hashes: dict[str, str]) -> dict[str, str]:
    """Copy what is new since pass 1; map each restored file to its member."""
    by_name = {rel.rsplit("/", 1)[-1]: rel for rel in (m[5:] for m in hashes)
               if rel.split("/")[0] in _BLOB_DIRS}
    files = {INDEX: "data/" + INDEX}
    for rel in sorted(after):
        member = "data/" + rel
        if member not in hashes:
            if (digest := _add(tar, data_dir / rel, member)) is None:
                if rel.split("/")[0] not in _BLOB_DIRS or rel.rsplit("/", 1)[-1] not in by_name:
                    continue  # deleted after the snapshot: see docs/operations.md
                member = "data/" + by_name[rel.rsplit("/", 1)[-1]]
            else:
                hashes[member] = digest
        files[_restored_name(rel, unclaimed)] = member
    return files


# -- restore ----------------------------------------------------------------------------
def _safe_path(rel: object) -> PurePosixPath:
    path = PurePosixPath(str(rel))
    if (not isinstance(rel, str) or path.is_absolute() or not path.parts
            or any(p in ("", ".", "..") or "\\" in p for p in path.parts)):
        raise BackupInvalid(f"unsafe path in the archive: {rel!r}")
    if path.parts[0] in _BLOB_DIRS:
        if len(path.parts) != 2:
            raise BackupInvalid(f"unsafe path in the archive: {rel!r}")
        LocalLayout.file_name(path.name)  # the store's own rule for blob names
    return path


def _read_manifest(tar: tarfile.TarFile, digest: str | None) -> dict[str, Any]:
    found = [m for m in tar.getmembers() if m.name == MANIFEST]
    member = found[0] if len(found) == 1 else None
    if member is None or not member.isfile() or member.size > 64 << 20:
        raise BackupInvalid("not a Candor backup: no backup.json")
    extracted = tar.extractfile(member)
    body = extracted.read() if extracted else b""
    if digest is not None and hashlib.sha256(body).hexdigest() != digest.strip().lower():
        raise BackupInvalid("the archive's digest differs from the one given")
    try:
        manifest = json.loads(body)
    except ValueError:
        raise BackupInvalid("backup.json is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupInvalid(f"not a {FORMAT} archive")
    if not isinstance(manifest.get("members"), dict) or not isinstance(manifest.get("files"),
                                                                       dict):
        raise BackupInvalid("backup.json lacks members or files")
    return manifest


def _checked_members(tar: tarfile.TarFile, listed: dict[str, str]) -> Iterator[tarfile.TarInfo]:
    names = [m.name for m in tar.getmembers() if m.name != MANIFEST]
    if sorted(names) != sorted(listed) or len(set(names)) != len(names):
        raise BackupInvalid("the archive's members differ from those backup.json lists")
    for member in tar.getmembers():
        if member.name != MANIFEST:
            if not member.isfile():
                raise BackupInvalid(f"{member.name} is not a regular file")
            yield member


def restore(archive: Path, data_dir: Path, *, digest: str | None = None) -> int:
    """Check every hash and rebuild the data directory (absent or empty).
    Returns the number of files restored. Raises BackupInvalid, OSError."""
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise BackupInvalid(f"{data_dir} is not empty: restore only into a new directory")
    staging = data_dir.parent / f".{data_dir.name}.restoring-{secrets.token_hex(4)}"
    staging.mkdir(mode=0o700, parents=True)
    try:
        count = _extract(archive, staging, digest)
        _check_index(staging / INDEX)
        for name in ("blobs", "uploads", "tmp"):
            (staging / name).mkdir(mode=0o700, exist_ok=True)
        if data_dir.exists():
            data_dir.rmdir()
        staging.rename(data_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return count


def _extract(archive: Path, staging: Path, digest: str | None) -> int:
    with tarfile.open(archive, mode="r:") as tar:
        manifest = _read_manifest(tar, digest)
        listed: dict[str, str] = manifest["members"]
        wanted: dict[str, list[PurePosixPath]] = {}
        for rel, member in manifest["files"].items():
            wanted.setdefault(str(member), []).append(_safe_path(rel))
        if not set(wanted) <= set(listed):
            raise BackupInvalid("backup.json restores a member the archive lacks")
        for member in _checked_members(tar, listed):
            paths = wanted.get(member.name) or [PurePosixPath("tmp", "unrestored")]
            first = staging / paths[0]
            if _copy_out(tar, member, first) != listed[member.name]:
                raise BackupInvalid(f"{member.name} was altered or damaged")
            for rel in paths[1:]:
                shutil.copyfile(first, staging / rel)
            if member.name not in wanted:
                first.unlink()  # hashed only: a copy the snapshot superseded
        return sum(len(paths) for paths in wanted.values())


def _copy_out(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> str:
    """Stream ``member`` to ``target`` (new, private); its SHA-256."""
    source = tar.extractfile(member)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    sha = hashlib.sha256()
    with open(target, "xb") as out:
        os.fchmod(out.fileno(), 0o600)
        while source is not None and (chunk := source.read(1 << 20)):
            sha.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return sha.hexdigest()


def _check_index(index: Path) -> None:
    if not index.is_file():
        raise BackupInvalid("the archive has no index")
    db = sqlite3.connect(index)
    try:
        verdict = db.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError:
        verdict = None
    finally:
        db.close()
    if verdict is None or verdict[0] != "ok":
        raise BackupInvalid("the archive's index is damaged")
