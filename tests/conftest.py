"""Fixtures shared by the whole suite: an isolated data directory, the CLI, and ffprobe.

Everything here is real: the CLI runs as a subprocess with the embedded default (SmolLM2 via
llama.cpp, Piper, PyAV/libx264), on a fresh SQLite database in a temporary directory.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reelwright.settings import Settings

REELWRIGHT = [sys.executable, "-m", "reelwright.bot"]
#: The Redis + Celery worker fixtures (``redis_url``, ``deployment``) for the distributed tests.
pytest_plugins = ["celery_world"]


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)


class Cli:
    """Runs ``reelwright`` as a person would, against one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.env = {**os.environ, "REELWRIGHT_DATA_DIR": str(data_dir), "REELWRIGHT_LLM_THREADS": "1"}

    def __call__(self, *args: str, stdin: str | None = None, timeout: float = 300) -> CliResult:
        done = subprocess.run([*REELWRIGHT, *args], capture_output=True, text=True, env=self.env, input=stdin, timeout=timeout)
        return CliResult(done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str) -> dict[str, Any]:
        result = self(*args, "--json")
        assert result.code == 0, result.stderr
        return result.json


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "data")


@pytest.fixture(scope="module")
def module_cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return Cli(tmp_path_factory.mktemp("data"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", llm_provider="template")


@pytest.fixture
def service_settings(tmp_path: Path) -> Settings:
    """The settings of the bot under test in the simcord Discord tests (template planner: quick)."""
    return Settings(data_dir=tmp_path / "data", llm_provider="template", max_jobs_per_user=2)


@pytest.fixture
def simcord_bot(service_settings: Settings) -> Iterator[Any]:
    """The bot simcord drives: the real ReelwrightBot over a real service (serving, as `reelwright bot`
    runs it), closed afterwards so its runner threads do not outlive the test."""
    from reelwright.bot.discord_bot.app import ReelwrightBot
    from reelwright.bot.service import ConversationService

    service = ConversationService(service_settings, serve=True)
    yield ReelwrightBot(service, service_settings)
    asyncio.run(service.close())


def ffprobe(path: Path) -> dict[str, Any]:
    binary = shutil.which("ffprobe")
    assert binary, "ffprobe is needed by the tests: install ffmpeg (.ci/run does)"
    done = subprocess.run(
        [binary, "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def ffmpeg_reencode(source: Path, target: Path, crf: int) -> None:
    binary = shutil.which("ffmpeg")
    assert binary, "ffmpeg is needed by the tests: install ffmpeg (.ci/run does)"
    subprocess.run(
        [
            binary,
            "-v",
            "error",
            "-y",
            "-i",
            str(source),
            "-c:v",
            "libx264",
            "-crf",
            str(crf),
            "-c:a",
            "copy",
            "-map_metadata",
            "-1",
            str(target),
        ],
        check=True,
    )
