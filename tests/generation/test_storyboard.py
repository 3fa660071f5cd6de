"""The storyboard draft: the subject is drawn in every shot, verbs and cameras move things visibly, the shots of
one video share a world, and a frame costs a few milliseconds.

What was drawn where is read from the renderer's own layout record, and checked against the pixels."""

import time
from collections.abc import Callable

import numpy as np
import pytest

from reelwright.generation.animatic import AnimaticBackend, layout_of
from reelwright.generation.backends import ClipRequest
from reelwright.generation.compose import tag_layer
from reelwright.generation.storyboard import Storyboard, StoryboardLayout
from reelwright.plan import CAMERA_MOVES, CameraMove

SIZE = (640, 360)
#: Shot prompts as the planner writes them ("<framing> of <subject>, <theme>") and as people type them.
PROMPTS = {
    "wide establishing shot of red fox running through fresh snow at dawn": "🦊",
    "medium shot of a dog walking down a city street at night": "🐕",
    "close-up of a sailboat on the ocean at sunset": "⛵",
    "detail shot of a flower blooming in a garden": "🌸",
    "tracking shot of a car driving through the desert": "🚗",
    "a rocket launching into space": "🚀",
    "underwater coral reef with a fish swimming": "🐟",
    "medium shot of a cat sleeping in a cosy kitchen": "🐈",
    "birds flying over the mountains": "🐦",
}


def request(prompt: str, camera: CameraMove = "static", *, frames: int = 48, seed: int = 1, size: tuple[int, int] = SIZE) -> ClipRequest:
    return ClipRequest(
        prompt=prompt,
        negative_prompt="",
        width=size[0],
        height=size[1],
        fps=24,
        num_frames=frames,
        camera=camera,
        seed=seed,
        style="cinematic",
    )


def render(clip: ClipRequest) -> list[np.ndarray]:
    return list(AnimaticBackend().render(clip, lambda fraction: None))


def dominant_colour(layout: StoryboardLayout, storyboard: Storyboard) -> np.ndarray:
    """The subject's most common clearly-coloured pixel value, as its sprite is drawn in the first frame."""
    picture = np.asarray(storyboard.picture(layout.poses(0)[0])).reshape(-1, 4).astype(int)
    coloured = picture[(picture[:, 3] == 255) & (np.ptp(picture[:, :3], axis=1) > 60)][:, :3]
    values, counts = np.unique(coloured, axis=0, return_counts=True)
    return values[counts.argmax()]


def share_near(frame: np.ndarray, box: tuple[int, int, int, int], colour: np.ndarray) -> float:
    left, top, right, bottom = (max(0, box[0]), max(0, box[1]), min(frame.shape[1], box[2]), min(frame.shape[0], box[3]))
    region = frame[top:bottom, left:right].astype(int)
    return float((np.abs(region - colour).sum(axis=-1) < 24).mean()) if region.size else 0.0


@pytest.mark.parametrize("camera", ["static", "pan_right", "tilt_up", "zoom_in", "orbit"])
@pytest.mark.parametrize("prompt", list(PROMPTS))
def test_the_subject_pictogram_is_drawn_in_every_frame_of_every_shot(prompt: str, camera: CameraMove) -> None:
    clip = request(prompt, camera)
    layout = layout_of(clip)
    assert layout.actors[0].role == "subject" and layout.actors[0].pictogram.emoji == PROMPTS[prompt]
    storyboard = Storyboard(layout)
    colour = dominant_colour(layout, storyboard)
    for index in (0, clip.num_frames // 2, clip.num_frames - 1):
        box = layout.subject_box(index)
        assert box[2] > 0 and box[0] < SIZE[0] and box[3] > 0 and box[1] < SIZE[1], f"subject out of frame {index}: {box}"
        frame = storyboard.frame(index)
        assert share_near(frame, box, colour) > 0.04, f"the subject's colour is not at its box in frame {index}"


def test_a_word_with_no_pictogram_is_drawn_as_its_label() -> None:
    layout = layout_of(request("wide shot of a signpost on a cliff at dusk"))
    assert layout.actors[0].pictogram.emoji is None and layout.actors[0].pictogram.word == "signpost"
    frame = Storyboard(layout).frame(0)
    left, top, right, bottom = layout.subject_box(0)
    tag = frame[max(0, top) : bottom, max(0, left) : right].astype(int)
    assert (tag.min(axis=-1) > 235).mean() > 0.3 and (tag.max(axis=-1) < 70).mean() > 0.03  # white tag, dark letters


def test_objects_named_in_the_prompt_are_drawn_beside_the_subject() -> None:
    layout = layout_of(request("medium shot of a child eating ice cream at the beach"))
    assert [actor.pictogram.emoji for actor in layout.actors] == ["🧒", "🍨"]
    assert layout.words.setting == "beach"


def test_frames_of_different_shots_differ() -> None:
    framings = ("wide establishing shot", "medium shot", "close-up", "tracking shot")
    cameras: tuple[CameraMove, ...] = ("zoom_in", "pan_right", "static", "tilt_up")
    firsts = [
        render(request(f"{framing} of red fox running through fresh snow at dawn", camera, frames=2))[0]
        for framing, camera in zip(framings, cameras, strict=True)
    ]
    for index, frame in enumerate(firsts):
        for other in firsts[index + 1 :]:
            assert np.abs(frame.astype(int) - other).mean() > 4


@pytest.mark.parametrize("camera", [move for move in CAMERA_MOVES if move != "static"])
def test_a_camera_move_is_obvious_within_a_second(camera: CameraMove) -> None:
    clip = request("medium shot of a lone tree on a hill", camera, frames=96)
    frames = render(clip)
    layout = layout_of(clip)
    width, height = SIZE
    first, second, last = layout.view(0), layout.view(24), layout.view(95)
    if camera.startswith("pan"):
        assert abs(second.offset(1.0)[0] - first.offset(1.0)[0]) > 0.08 * width  # the ground moved in the first second
    elif camera == "orbit":
        assert abs(second.offset(0.12)[0] - first.offset(0.12)[0]) > 0.08 * width  # the sky swung round the subject
    elif camera.startswith("tilt"):
        assert abs(second.offset(1.0)[1] - first.offset(1.0)[1]) > 0.04 * height
    else:
        ratio = first.window[2] / second.window[2]
        assert abs(ratio - 1) > 0.05 and max(first.window[2], last.window[2]) / min(first.window[2], last.window[2]) > 1.3
    if camera == "orbit":  # parallax: the sky and the foreground slide opposite ways around the subject's plane
        assert np.sign(last.offset(0.12)[0] - first.offset(0.12)[0]) == -np.sign(last.offset(1.45)[0] - first.offset(1.45)[0])
    assert np.abs(frames[0].astype(int) - frames[-1]).mean() > 6
    assert np.abs(frames[0].astype(int) - frames[24]).mean() > 3


@pytest.mark.parametrize(
    ("prompt", "check"),
    [
        ("medium shot of a horse running across a field", "crosses"),
        ("a car driving down a city street", "crosses"),
        ("birds flying over the sea", "crosses"),
        ("an apple falling from a tree", "falls"),
        ("close-up of a rose blooming", "grows"),
        ("a rocket launching into space", "rises"),
        ("a teapot pouring tea into a cup", "tilts"),
        ("a kid flying a kite on a windy hill", "kite flies"),
    ],
)
def test_verbs_move_things_visibly(prompt: str, check: str) -> None:
    layout = layout_of(request(prompt, frames=96))
    boxes = [layout.subject_box(index) for index in (0, 95)]
    (x0, y0, x1, y1), (u0, v0, u1, v1) = boxes
    width, height = SIZE
    if check == "crosses":
        assert (u0 + u1 - x0 - x1) / 2 * layout.heading > 0.3 * width
    elif check == "falls":
        assert v1 - y1 > 0.25 * height
    elif check == "grows":
        assert (u1 - u0) * (v1 - v0) > 4 * (x1 - x0) * (y1 - y0)
    elif check == "rises":
        assert y1 - v1 > 0.3 * height
    elif check == "tilts":
        assert layout.poses(95)[0].angle != 0 and layout.poses(0)[0].angle == 0
    else:  # the kid stays where it stands, the kite flies above the ground
        kite = [layout.poses(index)[1].box for index in (0, 95)]
        assert abs(u0 - x0) < 0.02 * width and kite[0] != kite[1] and kite[0][3] < 0.7 * height


def test_the_shots_of_one_video_share_a_world() -> None:
    shots = [
        layout_of(request(f"{framing} of red fox running through fresh snow at dawn", camera, seed=seed))
        for framing, camera, seed in (("wide shot", "pan_right", 11), ("medium shot", "static", 12), ("final wide shot", "zoom_out", 99))
    ]
    subjects = {(shot.actors[0].pictogram, shot.actors[0].mirrored, shot.heading) for shot in shots}
    assert len(subjects) == 1  # the same fox, facing and running the same way
    assert shots[0].actors[0].height == shots[2].actors[0].height  # the same framing draws it the same size
    assert len({shot.place for shot in shots}) == 1
    # The same place paints the same backdrop: two static shots of it differ only where their subjects are.
    fox = render(request("medium shot of red fox running through fresh snow at dawn", frames=2))[0]
    hare = render(request("medium shot of a hare in fresh snow at dawn", frames=2))[0]
    sky = (slice(SIZE[1] // 8, SIZE[1] // 3), slice(SIZE[0] // 2, SIZE[0]))
    assert np.abs(fox[sky].astype(int) - hare[sky]).mean() < 1
    city = render(request("medium shot of red fox running through a city at night", frames=2))[0]
    assert np.abs(fox.astype(int) - city).mean() > 40


def test_the_subject_leaves_one_shot_where_it_enters_the_next() -> None:
    first = layout_of(request("medium shot of a horse running across a field"))
    second = layout_of(request("close-up of a horse running across a field"))
    exit_x = sum(first.subject_box(first.frames - 1)[0::2]) / 2
    entry_x = sum(second.subject_box(0)[0::2]) / 2
    middle = SIZE[0] / 2
    assert (exit_x - middle) * first.heading > 0 and (entry_x - middle) * second.heading < 0


def test_the_seed_changes_nothing() -> None:
    assert all(
        np.array_equal(a, b)
        for a, b in zip(render(request("a fox", frames=3, seed=1)), render(request("a fox", frames=3, seed=2)), strict=True)
    )


def test_the_annotation_is_a_short_note_off_the_subject() -> None:
    prompt = "medium shot of a dog walking down a city street at night, a rainy evening in an old town"
    layout = layout_of(request(prompt))
    assert layout.annotation == "MEDIUM · dog walking · city, night"
    storyboard = Storyboard(layout)
    x, y = storyboard.note_at
    note = (x, y, x + storyboard.note.width, y + storyboard.note.height)
    for index in range(0, layout.frames, 8):
        box = layout.subject_box(index)
        assert box[0] >= note[2] or box[2] <= note[0] or box[1] >= note[3] or box[3] <= note[1]


@pytest.mark.parametrize("prompt", ["medium shot of a dog walking down a city street at night", "a bird flying over a field"])
@pytest.mark.parametrize("size", [(1280, 720), (720, 1280), (320, 180)])
def test_the_note_keeps_clear_of_the_shot_number_drawn_when_composing(prompt: str, size: tuple[int, int]) -> None:
    shot_tag = tag_layer(size, "SHOT 12/12")
    assert shot_tag is not None
    storyboard = Storyboard(layout_of(request(prompt, size=size)))
    x, y = storyboard.note_at
    rows, cols = range(y, y + storyboard.note.height), range(x, x + storyboard.note.width)
    assert not (
        set(rows) & set(range(shot_tag.rows.start, shot_tag.rows.stop)) and set(cols) & set(range(shot_tag.cols.start, shot_tag.cols.stop))
    )


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (720, 1280), (720, 720), (64, 64)])
def test_every_size_and_aspect_renders_exactly(width: int, height: int) -> None:
    frames = render(request("wide shot of a fox running through snow", "pan_left", frames=5, size=(width, height)))
    assert len(frames) == 5 and all(frame.shape == (height, width, 3) and frame.dtype == np.uint8 for frame in frames)


def test_the_cost_of_a_720p_frame_is_recorded(record_property: Callable[[str, object], None]) -> None:
    """Compositing only (each shot's layers are painted before the clock): what a frame adds to a render."""
    costs = {}
    for camera in ("static", "pan_right", "zoom_in", "orbit"):
        layout = layout_of(
            request("wide establishing shot of red fox running through fresh snow at dawn", camera, frames=48, size=(1280, 720))
        )
        storyboard = Storyboard(layout)
        storyboard.frame(0)
        start, cpu = time.perf_counter(), time.process_time()
        for index in range(48):
            storyboard.frame(index)
        costs[camera] = (time.perf_counter() - start) / 48 * 1000
        record_property(f"ms_per_720p_frame_{camera}", round(costs[camera], 2))
        record_property(f"cpu_ms_per_720p_frame_{camera}", round((time.process_time() - cpu) / 48 * 1000, 2))
    record_property("ms_per_720p_frame", round(sum(costs.values()) / len(costs), 2))


@pytest.mark.parametrize(
    "prompt",
    [
        "a teapot pouring tea into a cup",
        "close-up of a kettle pouring water",
        "a barista pouring milk into a cup",
        "a man running on the beach",
        "a woman swimming in a lake",
        "a kid flying a kite",
        "a man riding a horse",
        "🦊🦊🦊",
        "12345",
        "x",
        "a " + "very " * 200 + "long prompt about a cat",
        "un zorro rojo corriendo por la nieve",
        "夜の東京の街を走る猫",
    ],
)
def test_any_prompt_renders_every_frame_of_its_shot(prompt: str) -> None:
    frames = render(request(prompt, "orbit", frames=30, size=(160, 90)))
    assert len(frames) == 30 and all(frame.shape == (90, 160, 3) for frame in frames)
