"""Upgrades keep what an older database recorded."""

from pathlib import Path

from alembic import command
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
