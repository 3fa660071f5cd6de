"""Whatever people type, the request and edit parsers answer with a plan within the limits or a
clear refusal, never an exception of their own."""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reelwright.agent.edits import edit_plan
from reelwright.agent.planner import MAX_SHOTS, plan_video
from reelwright.agent.requirements import extract_requirements
from reelwright.bot.inputs import check_request
from reelwright.errors import BadRequest

BASE_REQUEST = "a 12 second video of a fox in the snow in 3 shots"
BASE = plan_video(BASE_REQUEST, extract_requirements(BASE_REQUEST), None, rng=random.Random(1)).plan
#: Words the parsers react to, so generated text reaches their branches instead of only failing the checks.
WORDS = st.sampled_from(
    "shot scene make swap add remove move to the of after before between 5 seconds half "
    "minute 1m30 -3 1e9 0 12 100 first last darker zoom slow motion 9:16 tiktok reel square "
    'narration no music say 1) 2) 3) then finally , : " 🦊 👩‍🚀 中文 é'.split()
)
TEXT = st.lists(st.one_of(WORDS, st.text(min_size=1, max_size=8)), min_size=1, max_size=16).map(" ".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_any_request_gives_a_plan_within_the_limits_or_a_clear_refusal(text: str) -> None:
    try:
        request = check_request(text, 2000)
        plan = plan_video(request, extract_requirements(request), None, rng=random.Random(0)).plan
    except BadRequest:
        return
    assert 2 <= plan.total_duration_s <= 120 and 1 <= len(plan.shots) <= MAX_SHOTS


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_any_edit_gives_a_version_within_the_limits_or_a_clear_refusal(text: str) -> None:
    try:
        plan, _, _ = edit_plan(BASE, check_request(text, 2000), extract_requirements(BASE_REQUEST), None, rng=random.Random(0))
    except BadRequest:
        return
    assert 2 <= plan.total_duration_s <= 120 and 1 <= len(plan.shots) <= MAX_SHOTS
