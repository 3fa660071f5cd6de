"""`reelwright plan` says who planned, and plans anyway when the model cannot."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
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


class ServedModel(ThreadingHTTPServer):
    """A loopback stand-in for a served LLM (OpenAI-compatible or Ollama) that misbehaves one way:
    the real provider clients talk HTTP to it, so their own timeouts and error types are exercised."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.release = threading.Event()
        super().__init__(("127.0.0.1", 0), ServedModelHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.release.set()
        self.shutdown()


class ServedModelHandler(BaseHTTPRequestHandler):
    server: ServedModel

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.server.behaviour == "hangs":
            self.server.release.wait(30)
            return
        body = b'{"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}'
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize(
    ("provider", "behaviour", "reason"),
    [
        ("openai", "hangs", "did not answer in time (REELWRIGHT_LLM_TIMEOUT_S)"),
        ("ollama", "hangs", "did not answer in time (REELWRIGHT_LLM_TIMEOUT_S)"),
        ("openai", "refuses", "refused the API key (HTTP 401); check REELWRIGHT_LLM_API_KEY"),
    ],
)
def test_a_served_model_that_hangs_or_refuses_gives_a_plan_anyway_and_says_which(
    cli: Cli, provider: str, behaviour: str, reason: str
) -> None:
    served = ServedModel(behaviour)
    try:
        base = served.url + ("/v1" if provider == "openai" else "")
        cli.env.update(
            REELWRIGHT_LLM_PROVIDER=provider,
            REELWRIGHT_LLM_BASE_URL=base,
            REELWRIGHT_LLM_API_KEY="sk-do-not-print",
            REELWRIGHT_LLM_TIMEOUT_S="1",
        )
        result = cli("plan", "a 6 second video of a heron in a pond", "--json", timeout=60)
    finally:
        served.stop()
    assert result.code == 0, result.stderr
    planner = result.json["planner"]
    assert planner["fallback"] is True and reason in planner["note"]
    assert "sk-do-not-print" not in result.stdout + result.stderr
