"""End to end through the ``reelwright`` command on the embedded default (real LLM, TTS, encoder)."""

import json
import subprocess
from pathlib import Path

import pytest
from conftest import REELWRIGHT, Cli, ffmpeg_reencode, ffprobe


@pytest.fixture(scope="module")
def made(module_cli: Cli, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("out") / "fox.mp4"
    return module_cli.ok("make", "a 9 second video of a fox running through snow at dawn, 3 shots", "--out", str(out))


def streams(path: str) -> dict[str, dict]:
    return {stream["codec_type"]: stream for stream in ffprobe(Path(path))["streams"]}


def test_make_writes_a_narrated_h264_aac_mp4_of_the_planned_length(made: dict) -> None:
    probe = ffprobe(Path(made["path"]))
    by_type = streams(made["path"])
    assert by_type["video"]["codec_name"] == "h264" and by_type["audio"]["codec_name"] == "aac"
    assert (by_type["video"]["width"], by_type["video"]["height"]) == (1280, 720)
    plan_total = sum(shot["duration_s"] for shot in made["plan"]["shots"])
    assert plan_total == 9.0
    assert abs(float(probe["format"]["duration"]) - plan_total) <= 0.2
    assert probe["format"]["tags"]["ai_generated"] == "true"


def test_every_shot_is_narrated_within_its_own_time(made: dict) -> None:
    import av
    import numpy as np

    with av.open(made["path"]) as container:
        samples = np.concatenate([frame.to_ndarray()[0] for frame in container.decode(audio=0)])  # planar: one row per channel
        rate = container.streams.audio[0].sample_rate
    start = 0.0
    for shot in made["plan"]["shots"]:
        window = samples[int(start * rate) : int((start + shot["duration_s"]) * rate)]
        assert np.abs(window).max() > 0.05, f"shot {shot['id']} is silent"
        start += shot["duration_s"]


def test_the_json_result_names_project_version_plan_and_file(made: dict) -> None:
    assert made["version"] == 1 and len(made["project_id"]) == 8
    assert len(made["plan"]["shots"]) == 3 and Path(made["path"]).is_file()
    assert made["planner"]["engine"] == "llamacpp" and made["planner"]["fallback"] is False
    assert made["planner"]["model"] == "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_a_fresh_video_verifies_intact_with_all_three_marks(made: dict, module_cli: Cli) -> None:
    report = module_cli.ok("verify", made["path"])
    assert report["verdict"] == "intact" and report["in_database"] is True
    assert (report["project_id"], report["version"]) == (made["project_id"], 1)
    assert report["label"]["found"] and report["watermark"]["found"]
    credentials = report["credentials"]
    assert credentials["state"] == "valid" and credentials["ai_generated"] is True
    assert (credentials["project_id"], credentials["version"]) == (made["project_id"], 1)
    assert [shot for shot, _ in credentials["models"]] == [1, 2, 3]


def test_reencoding_at_crf_28_strips_the_credentials_but_the_watermark_still_names_the_version(
    made: dict, module_cli: Cli, tmp_path: Path
) -> None:
    copy = tmp_path / "reencoded.mp4"
    ffmpeg_reencode(Path(made["path"]), copy, crf=28)
    report = module_cli.ok("verify", str(copy))
    assert report["watermark"]["found"] is True and report["metadata_ai_generated"] is False  # metadata stripped on purpose
    assert (report["verdict"], report["credentials"]["state"]) == ("stripped", "missing")
    assert (report["project_id"], report["version"]) == (made["project_id"], 1)


def test_changing_bytes_of_a_signed_video_is_reported_as_tampering(made: dict, module_cli: Cli, tmp_path: Path) -> None:
    data = bytearray(Path(made["path"]).read_bytes())
    middle = len(data) * 2 // 3  # inside the encoded frames
    data[middle : middle + 16] = bytes(16)
    changed = tmp_path / "changed.mp4"
    changed.write_bytes(bytes(data))
    report = module_cli.ok("verify", str(changed))
    assert (report["verdict"], report["credentials"]["state"]) == ("tampered", "invalid")
    human = module_cli("verify", str(changed))
    assert "tampered" in human.stdout


def test_verify_does_not_fire_on_a_video_it_did_not_mark(module_cli: Cli, tmp_path: Path) -> None:
    import av
    import numpy as np
    from tests_support import encode

    frames = [np.full((360, 640, 3), 90 + i, dtype=np.uint8) for i in range(48)]
    frames = [np.clip(f + np.random.default_rng(i).integers(0, 40, f.shape), 0, 255).astype(np.uint8) for i, f in enumerate(frames)]
    plain = encode(frames, tmp_path / "plain.mp4", crf=23)
    assert av.open(str(plain)).streams.video[0].frames == 48
    report = module_cli.ok("verify", str(plain))
    assert report["verdict"] == "not_ours" and report["project_id"] is None
    assert "Not made by Reelwright" in module_cli("verify", str(plain)).stdout


def test_an_edit_rerenders_only_the_changed_shot(made: dict, module_cli: Cli) -> None:
    edited = module_cli.ok("edit", made["project_id"], "make shot 2 a close-up of the fox's paws in the snow")
    assert edited["version"] == 2 and any(line.startswith("shot 2") for line in edited["diff"])
    reused = {shot["shot"]: shot["reused"] for shot in edited["shots"]}
    assert reused == {1: True, 2: False, 3: True}
    shown = module_cli.ok("show", made["project_id"])
    before = module_cli.ok("show", made["project_id"], "--version", "1")
    hashes_v1 = [s["clip_hash"] for s in before["render"]["shots"]]
    hashes_v2 = [s["clip_hash"] for s in shown["render"]["shots"]]
    assert hashes_v1[0] == hashes_v2[0] and hashes_v1[2] == hashes_v2[2] and hashes_v1[1] != hashes_v2[1]


def test_a_colour_grade_edit_reuses_every_clip_and_darkens_only_that_shot(made: dict, module_cli: Cli) -> None:
    before = module_cli.ok("show", made["project_id"])
    edited = module_cli.ok("edit", made["project_id"], "make shot 2 darker")
    assert edited["diff"] == ["shot 2 grade: brightness -0.3"]
    assert all(shot["reused"] for shot in edited["shots"])  # the grade is applied when composing

    def brightness_at(path: str, second: float) -> float:
        import av
        import numpy as np

        with av.open(path) as container:
            rate = float(container.streams.video[0].average_rate)
            frame = next(f for i, f in enumerate(container.decode(video=0)) if i >= second * rate)
            return float(np.asarray(frame.to_ndarray(format="rgb24"), dtype=float).mean())

    assert brightness_at(edited["path"], 4.5) < brightness_at(before["render"]["path"], 4.5) * 0.85  # shot 2
    assert abs(brightness_at(edited["path"], 1.0) - brightness_at(before["render"]["path"], 1.0)) < 3  # shot 1 as it was


def test_vertical_without_narration_has_no_audio_stream(made: dict, module_cli: Cli) -> None:
    edited = module_cli.ok("edit", made["project_id"], "make it 9:16 with no narration")
    by_type = streams(edited["path"])
    assert "audio" not in by_type
    assert (by_type["video"]["width"], by_type["video"]["height"]) == (720, 1280)


def test_history_lists_the_project_with_its_versions(made: dict, module_cli: Cli) -> None:
    projects = module_cli.ok("history")["projects"]
    mine = next(p for p in projects if p["id"] == made["project_id"])
    assert mine["versions"] >= 2


def test_two_renders_of_one_version_at_once_both_finish_and_leave_a_readable_file(cli: Cli, tmp_path: Path) -> None:
    project = cli.ok("plan", "a 2 second video of a windmill, no narration")["project_id"]
    out = tmp_path / "windmill.mp4"
    command = [*REELWRIGHT, "render", project, "--out", str(out), "--json"]
    runs = [subprocess.Popen(command, env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(run.wait(timeout=300), *run.communicate()) for run in runs]
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    render_ids = {json.loads(stdout)["render_id"] for _, stdout, _ in results}
    assert len(render_ids) == 2
    assert ffprobe(out)["format"]["duration"].startswith("2.0")
    assert cli.ok("verify", str(out))["verdict"] == "intact"
    assert not list(tmp_path.glob(".*.partial"))


def test_an_edits_credentials_carry_the_instruction_and_the_version_it_came_from(made: dict, module_cli: Cli) -> None:
    edited = module_cli.ok("edit", made["project_id"], "make shot 3 brighter")
    credentials = module_cli.ok("verify", edited["path"])["credentials"]
    assert credentials["state"] == "valid" and credentials["version"] == edited["version"]
    assert credentials["instruction"] == "make shot 3 brighter"
    assert credentials["ingredients"]
