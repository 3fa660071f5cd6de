"""Scratch space that a killed process cannot leave behind for good.

Each process works in its own folder under ``data_dir/scratch`` and holds an exclusive lock on a
file in it for as long as it lives. Locks die with their process (kill -9 included), so any folder
whose lock can be taken belongs to a process that is gone, and the next process to start removes
it. This needs no PID (PIDs are reused) and works for any number of processes sharing a data
directory on one host.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import shutil
import socket
import tempfile
import time
from pathlib import Path

from reelwright.errors import StorageError

log = logging.getLogger(__name__)

LOCK_NAME = ".alive"
#: Folders are created under this prefix, locked, then renamed; one this young may be mid-way.
STARTING = ".starting-"
STARTING_GRACE_S = 60.0


class ScratchSpace:
    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            root.mkdir(parents=True, exist_ok=True)
            # Locked before it gets a name others clean: the lock (on the open file) moves with the rename.
            starting = Path(tempfile.mkdtemp(prefix=STARTING, dir=root))
            self._lock = open(starting / LOCK_NAME, "wb")  # held (and locked) for the life of this object
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.path = root / f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
            starting.rename(self.path)
        except OSError as error:
            raise StorageError(f"Cannot create scratch space in {root}: {error.strerror}.") from error

    def folder(self, prefix: str) -> tempfile.TemporaryDirectory[str]:
        """A temporary folder removed when its ``with`` block ends, or at the next start after a kill."""
        return tempfile.TemporaryDirectory(prefix=prefix, dir=self.path)

    def remove_abandoned(self) -> int:
        """Remove the scratch folders of processes that are gone; how many."""
        removed = 0
        for folder in self.root.iterdir():
            if folder == self.path or not folder.is_dir():
                continue
            if folder.name.startswith(STARTING) and time.time() - folder.stat().st_mtime < STARTING_GRACE_S:
                continue  # a process is between creating and locking it
            if held_by_a_live_process(folder / LOCK_NAME):
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
        return removed

    def close(self) -> None:
        self._lock.close()
        shutil.rmtree(self.path, ignore_errors=True)


def held_by_a_live_process(lock_file: Path) -> bool:
    try:
        with open(lock_file, "rb") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            return False
    except FileNotFoundError:  # never locked: a stray folder
        return False
