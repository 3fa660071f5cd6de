"""`reelwright plan` says who planned, and plans anyway when the model cannot."""

from pathlib import Path

from conftest import Cli


def test_plan_json_names_the_engine_and_model_that_wrote_it(cli: Cli) -> None:
    planned = cli.ok("plan", "a 10 second video of a heron in a pond, 2 shots")
    assert planned["planner"]["engine"] == "llamacpp" and planned["planner"]["fallback"] is False
    shown = cli.ok("show", planned["project_id"])
    assert shown["planner"] == planned["planner"]


def test_a_model_that_cannot_load_still_gives_a_plan_and_one_line_saying_why(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a model" * 100)
    cli.env["REELWRIGHT_LLM_MODEL"] = str(broken)

    result = cli("plan", "a 10 second video of a heron in a pond, 2 shots", "--json")

    assert result.code == 0, result.stderr
    planner = result.json["planner"]
    assert planner["engine"] == "template" and planner["fallback"] is True
    assert "could not be loaded" in planner["note"]
    assert "Traceback" not in result.stderr and "could not be loaded" in result.stderr
    assert len(result.json["plan"]["shots"]) == 2
