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


def test_an_unknown_llm_provider_plans_from_templates_and_names_the_installed_ones(cli: Cli) -> None:
    cli.env["REELWRIGHT_LLM_PROVIDER"] = "gpt-17"
    result = cli("plan", "a 4 second video of a heron", "--json")
    assert result.code == 0 and result.json["planner"]["fallback"] is True
    assert "Unknown LLM provider 'gpt-17'; installed: llamacpp, ollama, openai, template, transformers" in result.json["planner"]["note"]


def test_an_unknown_chat_surface_names_the_installed_ones(cli: Cli) -> None:
    result = cli("bot", "--surface", "slack")
    assert result.code == 2 and "Unknown chat surface 'slack'; installed: discord" in result.stderr


def test_shots_the_person_listed_are_the_plans_shots_one_each(cli: Cli) -> None:
    planned = cli.ok("plan", "a 9 second video. shots: 1) a baker kneading dough 2) bread in the oven 3) a family at breakfast")
    prompts = [shot["prompt"] for shot in planned["plan"]["shots"]]
    assert len(prompts) == 3
    for prompt, listed in zip(prompts, ("baker kneading dough", "bread in the oven", "family at breakfast"), strict=True):
        assert listed in prompt
    assert not any("breakfast" in prompt for prompt in prompts[:2])
