"""The corpus of requests and edits as people type them, judged the way a person would.

Every line runs with the code-only planner (stated facts, subjects and edits are code's job whatever
the model writes); a fixed sample runs with the embedded model, whose lines must not break them.
``bench/bench_planning.py`` prints the same scores with latency.
"""

import random

import pytest
from corpus.scoring import judge_edit, judge_request, load

from reelwright.agent.edits import edit_plan
from reelwright.agent.llm import build_llm
from reelwright.agent.planner import plan_video
from reelwright.agent.requirements import extract_requirements
from reelwright.bot.inputs import check_request
from reelwright.settings import Settings

REQUESTS = load("requests.jsonl")
EDITS = load("edits.jsonl")
#: Every 20th request: a fixed sample that covers lists, platforms, languages and refusals.
MODEL_SAMPLE = REQUESTS[::20]


def planner(llm=None):
    def plan_request(text: str):
        text = check_request(text, 2000)
        return plan_video(text, extract_requirements(text), llm, rng=random.Random(1)).plan

    return plan_request


def edit(request: str, plan, instruction: str):
    new, _, _ = edit_plan(plan, check_request(instruction, 2000), extract_requirements(request), None, rng=random.Random(2))
    return new


def test_the_corpus_is_large_enough_to_mean_something() -> None:
    assert len(REQUESTS) >= 100 and len(EDITS) >= 100


@pytest.mark.parametrize("item", REQUESTS, ids=[item["text"][:60] for item in REQUESTS])
def test_every_request_is_planned_as_stated(item: dict) -> None:
    verdict = judge_request(item, planner())
    assert verdict.passed, verdict.failures


@pytest.mark.parametrize("item", EDITS, ids=[item["edit"][:60] for item in EDITS])
def test_every_edit_changes_only_what_it_points_at(item: dict) -> None:
    verdict = judge_edit(item, planner(), edit)
    assert verdict.passed, verdict.failures


def test_a_fixed_sample_planned_with_the_embedded_model_keeps_every_stated_fact() -> None:
    model = build_llm(Settings(llm_provider="llamacpp", llm_threads=2))
    try:
        verdicts = [judge_request(item, planner(model)) for item in MODEL_SAMPLE]
    finally:
        model.close()
    assert [v.failures for v in verdicts if not v.passed] == []
