"""The embedded model runs in a process of its own: its native crashes never take Reelwright down.

These start the real llama.cpp worker with the real SmolLM2 model and kill it with real signals, the
way a CPU that advertises instructions the virtual machine does not allow (SIGILL) would.
"""

import os
import random
import signal
import threading
from pathlib import Path

import pytest

from reelwright.agent.edits import edit_plan, parse_with_llm, within_instruction
from reelwright.agent.llm import build_llm
from reelwright.agent.local_llm import PORTABLE_CMAKE_ARGS, LocalModelProcess, ModelCrashed
from reelwright.agent.planner import plan_video
from reelwright.agent.requirements import extract_requirements
from reelwright.errors import BadRequest
from reelwright.settings import Settings

REQUEST = "a 9 second video of a heron fishing in a pond, 3 shots"
LONG_ANSWER = {"type": "object", "properties": {"text": {"type": "string", "minLength": 600, "maxLength": 700}}, "required": ["text"]}


@pytest.fixture
def model():
    process = build_llm(Settings(llm_provider="llamacpp", llm_threads=1))
    assert isinstance(process, LocalModelProcess)
    yield process
    process.close()


def plan(model):
    return plan_video(REQUEST, extract_requirements(REQUEST), model, rng=random.Random(1))


def test_a_model_killed_by_sigill_gives_a_template_plan_and_the_command_that_fixes_it(model) -> None:
    assert plan(model).planner.engine == "llamacpp"  # loaded and answering
    os.kill(model.pid, signal.SIGILL)

    planned = plan(model)

    assert planned.planner.engine == "template" and planned.planner.fallback is True
    assert "illegal instruction" in planned.planner.note and "templates" in planned.planner.note
    assert PORTABLE_CMAKE_ARGS in planned.planner.fix and "--force-reinstall" in planned.planner.fix
    assert len(planned.plan.shots) == 3 and planned.plan.total_duration_s == 9.0
    assert all(shot.narration for shot in planned.plan.shots)
    with pytest.raises(ModelCrashed):  # a broken build is not started again and again
        model.write("system", "user", max_tokens=4)


def test_a_crash_in_the_middle_of_an_answer_is_reported_not_raised_as_a_native_fault(model) -> None:
    model.start()
    model.write("Say hi.", "hi", max_tokens=2)
    threading.Timer(0.3, lambda: os.kill(model.pid, signal.SIGSEGV)).start()
    with pytest.raises(ModelCrashed, match="SIGSEGV") as crash:
        model.complete_json("Write a long story.", "A story about a heron.", LONG_ANSWER, max_tokens=400)
    assert crash.value.permanent and crash.value.fix


def test_a_model_process_stopped_from_outside_is_started_again_on_the_next_request(model) -> None:
    model.write("Say hi.", "hi", max_tokens=2)
    first = model.pid
    os.kill(first, signal.SIGKILL)
    with pytest.raises(ModelCrashed, match="stopped"):
        model.write("Say hi.", "hi", max_tokens=2)
    assert model.write("Say hi.", "hi", max_tokens=2).tokens > 0
    assert model.pid != first


def test_a_model_file_that_cannot_be_loaded_falls_back_with_the_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF but not really" * 10)
    model = build_llm(Settings(llm_provider="llamacpp", llm_model=str(broken)))
    try:
        planned = plan(model)
    finally:
        model.close()
    assert planned.planner.fallback is True and "could not be loaded" in planned.planner.note
    assert len(planned.plan.shots) == 3


def test_the_model_answers_an_edit_it_alone_can_read_within_what_the_instruction_names(model) -> None:
    base = plan(model).plan
    proposed = parse_with_llm(model, "give the whole thing more drama", base)
    assert all(within_instruction(op, "give the whole thing more drama", base) for op in proposed)
    try:
        new, _, planner = edit_plan(base, "give the whole thing more drama", extract_requirements(REQUEST), model)
    except BadRequest as refused:  # nothing the model proposed stayed within the instruction
        assert "couldn't tell what to change" in str(refused)
        return
    assert planner.engine == "llamacpp"
    assert len(new.shots) == 3 and [s.seed for s in new.shots] == [s.seed for s in base.shots]
