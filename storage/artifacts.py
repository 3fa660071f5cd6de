"""The content-addressed artifact store: files named by their sha256, recorded in the database."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from reelwright.errors import StorageError
from reelwright.storage.models import Artifact, CachedClip


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ArtifactStore:
    """Files under ``root/ab/abcdef....ext``; the database row is written only after the file is in place."""

    def __init__(self, root: Path, sessions: sessionmaker[Session], scratch: Path) -> None:
        """Files are copied into ``scratch`` first (the same file system, cleaned after a kill), then moved
        into place, so a reader never sees half a file and two writers never share a staging file."""
        self.root = root
        self.sessions = sessions
        self.scratch = scratch

    def path_of(self, sha256: str) -> Path:
        with self.sessions() as session:
            artifact = session.get(Artifact, sha256)
            if artifact is None:
                raise KeyError(sha256)
            return self.root / artifact.path

    def put(self, file: Path, kind: str, duration_s: float | None = None) -> Artifact:
        sha = sha256_of(file)
        relative = Path(sha[:2]) / f"{sha}{file.suffix.lower()}"
        target = self.root / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                with tempfile.TemporaryDirectory(prefix="put-", dir=self.scratch) as staging_folder:
                    staging = Path(staging_folder) / target.name
                    shutil.copyfile(file, staging)
                    os.replace(staging, target)
        except OSError as error:
            raise StorageError(f"Cannot write to the artifact store {self.root}: {error.strerror}.") from error
        with self.sessions.begin() as session:
            artifact = session.get(Artifact, sha)
            if artifact is None:
                artifact = Artifact(sha256=sha, kind=kind, path=str(relative), size_bytes=target.stat().st_size, duration_s=duration_s)
                session.add(artifact)
            return artifact

    # ClipStore (generation.pipeline): rendered clips and narration cached by content hash.
    def lookup(self, cache_key: str) -> Path | None:
        with self.sessions() as session:
            entry = session.get(CachedClip, cache_key)
            if entry is None:
                return None
            artifact = session.get(Artifact, entry.artifact_sha256)
            path = self.root / artifact.path if artifact else None
            return path if path is not None and path.exists() else None

    def store(self, cache_key: str, file: Path, kind: str, duration_s: float) -> Path:
        artifact = self.put(file, kind, duration_s)
        with self.sessions.begin() as session:
            session.merge(CachedClip(cache_key=cache_key, artifact_sha256=artifact.sha256))
        return self.root / artifact.path
