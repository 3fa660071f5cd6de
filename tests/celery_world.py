"""A Celery deployment for tests: Debian's ``redis-server`` on a free port, and ``reelwright worker``
processes (Celery, solo pool) sharing one data directory and SQLite database with the test.

``.ci/run`` installs redis-server; elsewhere the tests that need it are skipped with that reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REELWRIGHT

from reelwright.settings import Settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: .ci/run installs it (apt-get install redis-server)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def deployment(tmp_path: Path, redis_url: str) -> Iterator[Deployment]:
    found = Deployment(tmp_path, redis_url)
    yield found
    found.stop_all()


class Deployment:
    """Settings pointing at Redis and a shared data directory, and the worker processes on them.

    ``machines``: every worker gets a data directory of its own, as on separate machines; they share
    only the database, the broker and an fsspec artifact store (a ``file://`` folder standing in for a
    bucket)."""

    def __init__(self, root: Path, redis_url: str, machines: bool = False) -> None:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
        self.root = root
        self.settings = Settings(
            data_dir=root / "data",
            llm_provider="template",
            broker_url=redis_url,
            job_lease_s=2.0,
            max_jobs_per_user=50,
            max_queued_jobs=100,
            database_url=f"sqlite:///{root / 'shared.db'}" if machines else None,
            artifact_url=f"file://{root / 'bucket'}" if machines else None,
        )
        self.machines = machines
        self.env = {
            **os.environ,
            "REELWRIGHT_DATA_DIR": str(self.settings.data_dir),
            "REELWRIGHT_LLM_PROVIDER": "template",
            "REELWRIGHT_BROKER_URL": redis_url,
            "REELWRIGHT_JOB_LEASE_S": "2",
            "REELWRIGHT_JOB_MAX_ATTEMPTS": "10",
            **(
                {"REELWRIGHT_DATABASE_URL": self.settings.database_url or "", "REELWRIGHT_ARTIFACT_URL": self.settings.artifact_url or ""}
                if machines
                else {}
            ),
        }
        self.workers: list[subprocess.Popen[bytes]] = []

    def start_worker(self) -> subprocess.Popen[bytes]:
        log = open(self.root / f"worker-{len(self.workers)}.log", "wb")
        env = {**self.env, "REELWRIGHT_DATA_DIR": str(self.root / f"machine-{len(self.workers)}")} if self.machines else self.env
        process = subprocess.Popen([*REELWRIGHT, "worker", "--queues", "cpu"], env=env, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(process)
        deadline = time.monotonic() + 60
        while b"ready." not in (self.root / f"worker-{len(self.workers) - 1}.log").read_bytes():
            assert process.poll() is None, (self.root / f"worker-{len(self.workers) - 1}.log").read_text()
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.1)
        return process

    def stop_all(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)

    def rows(self, sql: str) -> list[tuple]:
        database = self.root / "shared.db" if self.machines else self.settings.data_dir / "reelwright.db"
        with sqlite3.connect(database) as connection:
            return connection.execute(sql).fetchall()
