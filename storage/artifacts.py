"""The content-addressed artifact store: files named by their sha256, recorded in the database.

Each process keeps its files under a local root. With a shared store (any fsspec URL: ``s3://bucket/
prefix`` with s3fs installed, ``file:///mnt/shared/artifacts``, ...) every file is also uploaded there
before its row is written, and a process that finds a row whose file it lacks downloads it first: GPU
workers on different machines share shot clips, narration, images and finished videos through it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import fsspec
from sqlalchemy import ColumnElement, Text, cast, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from reelwright.errors import StorageError
from reelwright.storage.models import Artifact, CachedClip, ClonedVoice, Consent, PlanVersion, Render, utcnow

log = logging.getLogger(__name__)

#: Kinds of artifact that are a person's own (a cloned voice's sample). They live apart, under ``root/<kind>/``,
#: so every machine can find and erase its copies once their owner deletes them (``sweep_private``).
PRIVATE_KINDS = frozenset({"voice"})
#: How old an unreferenced private artifact must be before a sweep erases it: a sample is stored a moment
#: before the row that refers to it, and must not be swept in between.
PRIVATE_GRACE = timedelta(hours=1)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class SharedStore:
    """The store every machine reaches, through fsspec: uploads land under a temporary name and are
    moved into place, so no reader sees half a file."""

    def __init__(self, url: str) -> None:
        try:
            self.fs, self.base = fsspec.core.url_to_fs(url)
        except (ImportError, ValueError) as error:
            raise StorageError(f"Cannot use the artifact store {url}: {error}.") from error
        self.url = url

    def _path(self, relative: str) -> str:
        return f"{self.base.rstrip('/')}/{relative}"

    def upload(self, file: Path, relative: str) -> None:
        target = self._path(relative)
        try:
            if self.fs.exists(target):
                return
            self.fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
            partial = f"{target}.partial-{secrets.token_hex(4)}"
            self.fs.put_file(str(file), partial)
            self.fs.mv(partial, target)
        except OSError as error:
            raise StorageError(f"Cannot write to the artifact store {self.url}: {error}.") from error

    def download(self, relative: str, into: Path) -> bool:
        """Copy the file to ``into``; ``False`` if the store does not have it."""
        try:
            if not self.fs.exists(self._path(relative)):
                return False
            self.fs.get_file(self._path(relative), str(into))
            return True
        except OSError as error:
            raise StorageError(f"Cannot read from the artifact store {self.url}: {error}.") from error

    def remove(self, relative: str) -> None:
        """Delete the file; a file the store does not have is already removed."""
        try:
            self.fs.rm_file(self._path(relative))
        except FileNotFoundError:
            return
        except OSError as error:
            raise StorageError(f"Cannot delete from the artifact store {self.url}: {error}.") from error


class ArtifactStore:
    """Files under ``root/ab/abcdef....ext`` (and in the shared store, if any); the database row is
    written only after the file is in place everywhere."""

    def __init__(self, root: Path, sessions: sessionmaker[Session], scratch: Path, shared: str | None = None) -> None:
        """Files are copied into ``scratch`` first (the same file system, cleaned after a kill), then moved
        into place, so a reader never sees half a file and two writers never share a staging file."""
        self.root = root
        self.sessions = sessions
        self.scratch = scratch
        self.shared = SharedStore(shared) if shared else None

    def _local(self, relative: str) -> Path | None:
        """The file on this machine, fetched from the shared store when another machine made it."""
        target = self.root / relative
        if target.exists():
            return target
        if self.shared is None:
            return None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix="get-", dir=self.scratch) as staging_folder:
                staging = Path(staging_folder) / target.name
                if not self.shared.download(relative, staging):
                    return None
                os.replace(staging, target)
        except OSError as error:
            raise StorageError(f"Cannot write to the artifact store {self.root}: {error.strerror}.") from error
        return target

    def path_of(self, sha256: str) -> Path:
        with self.sessions() as session:
            artifact = session.get(Artifact, sha256)
            if artifact is None:
                raise KeyError(sha256)
            relative = artifact.path
        found = self._local(relative)
        if found is None:
            raise StorageError(f"The file of artifact {sha256[:12]} is missing from the artifact store.")
        return found

    def put(self, file: Path, kind: str, duration_s: float | None = None) -> Artifact:
        sha = sha256_of(file)
        relative = Path(kind if kind in PRIVATE_KINDS else sha[:2]) / f"{sha}{file.suffix.lower()}"
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
        if self.shared is not None:
            self.shared.upload(target, relative.as_posix())
        row = Artifact(sha256=sha, kind=kind, path=relative.as_posix(), size_bytes=target.stat().st_size, duration_s=duration_s)
        try:
            with self.sessions.begin() as session:
                artifact = session.get(Artifact, sha)
                if artifact is None:
                    artifact = row
                    session.add(artifact)
                return artifact
        except IntegrityError:  # another process stored the same file at the same moment: its row is ours too
            with self.sessions() as session:
                stored = session.get(Artifact, sha)
                if stored is None:
                    raise
                return stored

    # ClipStore (generation.pipeline): rendered clips and narration cached by content hash.
    def lookup(self, cache_key: str) -> Path | None:
        with self.sessions() as session:
            entry = session.get(CachedClip, cache_key)
            if entry is None:
                return None
            artifact = session.get(Artifact, entry.artifact_sha256)
            relative = artifact.path if artifact is not None else None
        return self._local(relative) if relative is not None else None

    def store(self, cache_key: str, file: Path, kind: str, duration_s: float) -> Path:
        artifact = self.put(file, kind, duration_s)
        try:
            with self.sessions.begin() as session:
                session.merge(CachedClip(cache_key=cache_key, artifact_sha256=artifact.sha256))
        except IntegrityError:  # the same clip cached by another process at the same moment: same content, same key
            pass
        return self.root / artifact.path

    def forget(self, sha256: str) -> bool:
        """Erase an artifact for good (a deleted voice's sample): its file here, in the shared store, and its row.

        Only once nothing refers to it: a file that a cached clip, a render, a consent, another voice or
        a plan still uses stays, and the answer is ``False``. The files go before the row is committed, so
        a failed delete leaves the row to try again with, never a row-less file nobody can find. Meanwhile the
        artifact is locked (SQLite: the database), so a new reference to it waits and then finds it gone.
        """
        with self.sessions.begin() as session:
            connection = session.connection()
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            artifact = session.get(Artifact, sha256, with_for_update=True)
            if session.scalar(select(referenced(sha256))):
                return False
            if artifact is None:
                return True
            try:
                (self.root / artifact.path).unlink(missing_ok=True)
            except OSError as error:
                raise StorageError(f"Cannot delete from the artifact store {self.root}: {error.strerror}.") from error
            if self.shared is not None:
                self.shared.remove(artifact.path)
            session.delete(artifact)
            return True

    def sweep_private(self) -> int:
        """Erase the private files nothing refers to any more; the number erased. A deleted voice's sample whose
        erasing failed halfway (its row left behind) is erased now, and the copies this machine fetched of
        samples deleted elsewhere (their row gone) go too. Run at every start and sweep, on every machine."""
        erased = 0
        with self.sessions() as session:
            unclaimed = session.scalars(
                select(Artifact.sha256).where(
                    Artifact.kind.in_(PRIVATE_KINDS),
                    Artifact.created_at < utcnow() - PRIVATE_GRACE,
                    ~exists().where(ClonedVoice.sample_sha256 == Artifact.sha256),
                )
            ).all()
        for sha in unclaimed:
            erased += self.forget(sha)
        copies = {path.stem: path for kind in PRIVATE_KINDS for path in (self.root / kind).glob("*") if path.is_file()}
        if copies:
            with self.sessions() as session:
                known = set(session.scalars(select(Artifact.sha256).where(Artifact.sha256.in_(list(copies)))))
            for sha, path in copies.items():
                if sha not in known:
                    path.unlink(missing_ok=True)
                    erased += 1
        return erased


def referenced(sha256: str) -> ColumnElement[bool]:
    """Whether any row refers to the artifact: every column that holds an artifact's sha256, and plans,
    whose shots name their source images."""
    return or_(
        exists().where(CachedClip.artifact_sha256 == sha256),
        exists().where(Render.output_sha256 == sha256),
        exists().where(Consent.image_sha256 == sha256),
        exists().where(ClonedVoice.sample_sha256 == sha256),
        exists().where(cast(PlanVersion.plan, Text).contains(sha256, autoescape=True)),
    )


def sweep_private(store: ArtifactStore) -> None:
    """``store.sweep_private()`` for a start-up or a periodic sweep: a store that cannot be reached now is tried
    again at the next sweep, and never stops the process."""
    try:
        if erased := store.sweep_private():
            log.info("erased %d private file(s) that nothing refers to any more", erased)
    except (StorageError, OSError) as error:
        log.warning("could not sweep deleted voice samples; trying again at the next sweep: %s", error)
