"""Upgrades keep what an older database recorded, and run once however many processes start."""

import os
import subprocess
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from conftest import REELWRIGHT
from sqlalchemy import text

from reelwright.storage.db import alembic_config, make_engine, open_database
from reelwright.storage.repository import Repository


def test_the_planner_name_of_an_older_version_becomes_its_planner_record(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        connection.execute(
            text(
                "INSERT INTO users (platform, external_id, display_name, preferences, created_at) "
                "VALUES ('cli', 'ann', 'ann', '{}', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO projects (id, owner_id, title, request, requirements, created_at, updated_at) "
                "VALUES ('p1', 1, 'Fox', 'a fox', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        plan = '{"title": "Fox", "shots": [{"id": 1, "prompt": "a fox", "duration_s": 4, "seed": 1}]}'
        for number, planner in ((1, "llamacpp:SmolLM2-135M-Instruct.Q4_1.gguf"), (2, "template")):
            connection.execute(
                text(
                    "INSERT INTO plan_versions (project_id, number, plan, instruction, diff, planner, created_at) "
                    "VALUES ('p1', :n, :plan, 'a fox', '[]', :planner, CURRENT_TIMESTAMP)"
                ),
                {"n": number, "plan": plan, "planner": planner},
            )

    repository = Repository(open_database(url))

    first, second = repository.versions("p1")
    assert (first.planner.engine, first.planner.model) == ("llamacpp", "SmolLM2-135M-Instruct.Q4_1.gguf")
    assert (second.planner.engine, second.planner.model, second.planner.fallback) == ("template", None, False)


def test_processes_starting_together_on_a_fresh_database_all_start(tmp_path: Path) -> None:
    env = {**os.environ, "REELWRIGHT_DATA_DIR": str(tmp_path / "fresh"), "REELWRIGHT_LLM_PROVIDER": "template"}
    starts = [
        subprocess.Popen([*REELWRIGHT, "history", "--json"], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL) for _ in range(4)
    ]
    finished = [(start.wait(timeout=120), start.stderr.read()) for start in starts]
    assert [code for code, _ in finished] == [0, 0, 0, 0], [err for _, err in finished]


def test_db_upgrade_migrates_for_a_deployment_and_says_to_what(tmp_path: Path) -> None:
    env = {**os.environ, "REELWRIGHT_DATA_DIR": str(tmp_path / "deploy")}
    done = subprocess.run([*REELWRIGHT, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None and f"is at revision {head}" in done.stdout


def test_jobs_from_before_jobs_were_data_are_failed_and_old_projects_stay_private(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        connection.execute(
            text(
                "INSERT INTO users (platform, external_id, display_name, preferences, created_at) "
                "VALUES ('discord', '1', 'ann', '{}', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO projects (id, owner_id, title, request, requirements, created_at, updated_at) "
                "VALUES ('p1', 1, 'Fox', 'a fox', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO jobs (kind, project_id, version, requested_by, status, stage, progress, worker, created_at) "
                "VALUES ('render', 'p1', 1, 1, 'running', 'rendering', 0.5, 'gpu-box:12', CURRENT_TIMESTAMP)"
            )
        )

    repository = Repository(open_database(url))

    # A closure of a process long gone, with no output or reply place recorded: it cannot be resumed.
    (job,) = [repository.job(1)]
    assert (job.status, job.stage) == ("failed", "interrupted") and "render it again" in (job.error or "")
    assert repository.settle_abandoned_jobs() == []
    (project,) = repository.projects()
    assert project.guild is None and project.channel is None
