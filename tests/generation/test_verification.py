"""The three marks are judged together: a file is intact, stripped, tampered with, or not ours.

Real files throughout: frames labelled and watermarked as composing does, encoded with libx264, signed
with c2pa-python under a development CA.
"""

from pathlib import Path

import numpy as np
import pytest
from tests_support import animatic, encode, ffmpeg

from reelwright.generation.compose import label_layer
from reelwright.generation.credentials import CredentialClaim, SigningIdentity, development_identity, sign_video
from reelwright.generation.frames import blend
from reelwright.generation.verification import Verdict, read_marks
from reelwright.generation.watermark import Mark, Watermarker

MARKER = Watermarker("verification key")
OURS = Mark("0a1b2c3d", 2)


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> SigningIdentity:
    return development_identity(tmp_path_factory.mktemp("keys"))


def made(path: Path, *, label: bool = True, mark: Mark | None = OURS) -> Path:
    frames = animatic(640, 360, prompt="a lighthouse on a cliff at dusk", camera="pan_right", seed=7, frames=48)
    layer = label_layer((640, 360))
    frames = [blend(frame, layer) if label else frame for frame in frames]
    frames = [MARKER.embed(frame, mark) if mark else frame for frame in frames]
    return encode(frames, path, crf=20)


def claim(project_id: str = OURS.project_id, version: int = OURS.version) -> CredentialClaim:
    return CredentialClaim(title="Lighthouse", tool="Reelwright", tool_version="test", project_id=project_id, version=version)


def judged(path: Path, identity: SigningIdentity) -> tuple[Verdict, list[str], tuple[str, int] | None]:
    marks = read_marks(path, MARKER, identity.trust_anchors_pem, 96, 1280)
    verdict, notes = marks.findings()
    return verdict, notes, marks.project


def test_a_signed_labelled_marked_file_is_intact(identity: SigningIdentity, tmp_path: Path) -> None:
    video = made(tmp_path / "v.mp4")
    sign_video(video, video, claim(), identity)
    assert judged(video, identity) == (Verdict.INTACT, [], (OURS.project_id, OURS.version))


def test_without_our_anchor_the_same_file_is_untrusted(identity: SigningIdentity, tmp_path: Path) -> None:
    video = made(tmp_path / "v.mp4")
    sign_video(video, video, claim(), identity)
    marks = read_marks(video, MARKER, None, 96, 1280)
    assert marks.findings()[0] == Verdict.UNTRUSTED


def test_a_reencoded_copy_is_stripped_but_still_names_its_project(identity: SigningIdentity, tmp_path: Path) -> None:
    video = made(tmp_path / "v.mp4")
    sign_video(video, video, claim(), identity)
    copy = ffmpeg(video, tmp_path / "copy.mp4", "-crf", "28")
    verdict, notes, project = judged(copy, identity)
    assert (verdict, project) == (Verdict.STRIPPED, (OURS.project_id, OURS.version))
    assert any("credentials are gone" in note for note in notes)


def test_credentials_of_another_video_on_a_marked_file_are_tampering(identity: SigningIdentity, tmp_path: Path) -> None:
    video = made(tmp_path / "v.mp4")
    sign_video(video, video, claim(project_id="ffffffff", version=9), identity)
    verdict, notes, project = judged(video, identity)
    assert verdict == Verdict.TAMPERED and project == (OURS.project_id, OURS.version)
    assert any("name different videos" in note for note in notes)


def test_a_covered_label_is_reported(identity: SigningIdentity, tmp_path: Path) -> None:
    video = made(tmp_path / "v.mp4", label=False)
    sign_video(video, video, claim(), identity)
    verdict, notes, _ = judged(video, identity)
    assert verdict == Verdict.PARTIAL and any("label" in note for note in notes)


def test_a_file_with_none_of_our_marks_is_not_ours_even_with_a_lookalike_label(identity: SigningIdentity, tmp_path: Path) -> None:
    video = made(tmp_path / "v.mp4", mark=None)
    verdict, notes, project = judged(video, identity)
    assert (verdict, project) == (Verdict.NOT_OURS, None)
    assert any("label like ours" in note for note in notes)


def test_a_mark_made_with_another_key_is_not_ours(identity: SigningIdentity, tmp_path: Path) -> None:
    frames = [
        Watermarker("someone else's key").embed(frame, OURS)
        for frame in animatic(640, 360, prompt="a lighthouse", camera="static", seed=3, frames=48)
    ]
    video = encode([np.ascontiguousarray(frame) for frame in frames], tmp_path / "v.mp4", crf=20)
    assert judged(video, identity)[0] == Verdict.NOT_OURS
