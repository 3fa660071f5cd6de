"""Planning benchmark, measured side by side in one run on this machine.

Prints, for the embedded model (SmolLM2-135M through llama.cpp, in its own process) and for the
code-only template planner:
- plan latency p50/p95 by shot count (process start excluded; the model is loaded before timing),
- tokens generated per plan,
- the corpus score (tests/corpus: stated facts exact, subject in every prompt, edits local),
- the end-to-end time of ``reelwright plan`` as a process, model start included.

Run: ``.venv/bin/python bench/bench_planning.py [--repeats N] [--threads N]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from corpus.scoring import judge_edit, judge_request, load, score  # noqa: E402

from reelwright.agent.edits import edit_plan  # noqa: E402
from reelwright.agent.llm import build_llm  # noqa: E402
from reelwright.agent.planner import Planned, plan_video  # noqa: E402
from reelwright.agent.requirements import extract_requirements  # noqa: E402
from reelwright.bot.inputs import check_request  # noqa: E402
from reelwright.settings import Settings  # noqa: E402

SUBJECTS = [
    "a fox running through snow at dawn",
    "how bees make honey",
    "a lighthouse in a storm",
    "a chef plating a chocolate dessert",
    "tokyo at night",
    "a red balloon drifting over paris",
]
SHOT_COUNTS = (1, 2, 4, 8, 12)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_plans(llm, shots: int, repeats: int) -> tuple[list[float], list[int]]:
    seconds, tokens = [], []
    for index in range(repeats):
        request = f"a {shots * 4} second video of {SUBJECTS[index % len(SUBJECTS)]} in {shots} shots"
        started = time.perf_counter()
        planned: Planned = plan_video(request, extract_requirements(request), llm, rng=random.Random(index))
        seconds.append(time.perf_counter() - started)
        tokens.append(planned.planner.tokens or 0)
    return seconds, tokens


def corpus_scores(llm) -> tuple[float, float]:
    def plan_request(text: str):
        text = check_request(text, 2000)
        return plan_video(text, extract_requirements(text), llm, rng=random.Random(1)).plan

    def edit(request: str, plan, instruction: str):
        return edit_plan(plan, check_request(instruction, 2000), extract_requirements(request), llm, rng=random.Random(2))[0]

    requests = [judge_request(item, plan_request) for item in load("requests.jsonl")]
    edits = [judge_edit(item, plan_request, edit) for item in load("edits.jsonl")]
    return score(requests), score(edits)


def cli_plan_seconds(repeats: int, threads: int) -> list[float]:
    """``reelwright plan`` as a person runs it: a new process each time, model start included."""
    runs = []
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "REELWRIGHT_DATA_DIR": data, "REELWRIGHT_LLM_THREADS": str(threads)}
        for index in range(repeats):
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "reelwright.bot",
                    "plan",
                    f"a 12 second video of {SUBJECTS[index % len(SUBJECTS)]}, 3 shots",
                    "--json",
                ],
                env=env,
                check=True,
                capture_output=True,
            )
            runs.append(time.perf_counter() - started)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    model = build_llm(Settings(llm_provider="llamacpp", llm_threads=args.threads))
    assert model is not None
    try:
        plan_video("a 4 second video of a cat", extract_requirements("a 4 second video of a cat"), model)  # load before timing
        print(f"plan latency, {args.repeats} plans per row, {args.threads} llama.cpp thread(s); embedded model vs template planner")
        print(f"{'shots':>5} | {'model p50':>9} {'p95':>6} {'tokens':>6} | {'template p50':>12} {'p95':>7} | ratio p50")
        for shots in SHOT_COUNTS:
            model_s, tokens = time_plans(model, shots, args.repeats)
            template_s, _ = time_plans(None, shots, args.repeats)
            print(
                f"{shots:>5} | {statistics.median(model_s):8.2f}s {percentile(model_s, 0.95):5.2f}s {statistics.mean(tokens):6.0f} | "
                f"{statistics.median(template_s) * 1000:10.1f}ms {percentile(template_s, 0.95) * 1000:5.1f}ms | "
                f"{statistics.median(model_s) / statistics.median(template_s):8.0f}x"
            )
        model_requests, model_edits = corpus_scores(model)
    finally:
        model.close()
    template_requests, template_edits = corpus_scores(None)
    print(
        f"corpus score (requests / edits): embedded model {model_requests:.3f} / {model_edits:.3f}, "
        f"template {template_requests:.3f} / {template_edits:.3f}"
    )
    cli = cli_plan_seconds(max(3, args.repeats // 2), args.threads)
    print(
        f"`reelwright plan` end to end (new process, model start included): p50 {statistics.median(cli):.2f}s, "
        f"p95 {percentile(cli, 0.95):.2f}s over {len(cli)} runs"
    )


if __name__ == "__main__":
    main()
