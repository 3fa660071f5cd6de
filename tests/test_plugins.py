"""A plugin package adds a backend without editing Reelwright: an entry point and its own options.

The plugin here is a real installed distribution (a dist-info with entry_points.txt on the path), and
the real CLI renders a video with it.
"""

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import Cli

from reelwright.generation.video_io import read_frames

PLUGIN = '''
from collections.abc import Iterator

import numpy as np
from pydantic import BaseModel


class FlatBackend:
    """Every frame one colour: the smallest thing that is a video backend."""

    name = "flat"
    version = "1"

    class Options(BaseModel):
        colour: tuple[int, int, int]

    def __init__(self, options: "FlatBackend.Options") -> None:
        self.options = options

    def render(self, request, progress) -> Iterator[np.ndarray]:
        for index in range(request.num_frames):
            progress((index + 1) / request.num_frames)
            yield np.full((request.height, request.width, 3), self.options.colour, np.uint8)
'''


@pytest.fixture
def plugin_cli(cli: Cli, tmp_path: Path) -> Cli:
    site = tmp_path / "site"
    (site / "flat_backend").mkdir(parents=True)
    (site / "flat_backend" / "__init__.py").write_text(PLUGIN)
    info = site / "flat_backend-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: flat-backend\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        textwrap.dedent("""
        [reelwright.video_backends]
        flat = flat_backend:FlatBackend
    """)
    )
    cli.env |= {"PYTHONPATH": str(site), "REELWRIGHT_LLM_PROVIDER": "template", "REELWRIGHT_TEXT_TO_VIDEO_BACKEND": "flat"}
    return cli


def test_a_backend_from_another_package_renders_with_its_own_options(plugin_cli: Cli, tmp_path: Path) -> None:
    plugin_cli.env["REELWRIGHT_BACKEND_OPTIONS"] = json.dumps({"flat": {"colour": [200, 30, 30]}})
    made = plugin_cli.ok("make", "a 2 second video of a red wall, no narration", "--out", str(tmp_path / "flat.mp4"))
    frame = next(iter(read_frames(Path(made["path"]))))
    middle = frame[frame.shape[0] // 2 - 20 : frame.shape[0] // 2 + 20, frame.shape[1] // 2 - 20 : frame.shape[1] // 2 + 20]
    assert np.abs(middle.reshape(-1, 3).mean(axis=0) - (200, 30, 30)).max() < 25


def test_options_a_backend_rejects_are_named_in_one_line(plugin_cli: Cli) -> None:
    plugin_cli.env["REELWRIGHT_BACKEND_OPTIONS"] = json.dumps({"flat": {"colour": "red"}})
    result = plugin_cli("make", "a 2 second video of a wall", "--json")
    assert result.code != 0 and "Options for the text-to-video backend 'flat' are invalid: colour" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_backend_lists_what_is_installed_before_anything_is_planned(cli: Cli) -> None:
    cli.env |= {"REELWRIGHT_LLM_PROVIDER": "template", "REELWRIGHT_TEXT_TO_VIDEO_BACKEND": "sora"}
    result = cli("make", "a 2 second video of a wall", "--json")
    assert result.code != 0 and "Unknown text-to-video backend 'sora'; installed: animatic, diffusers, image-motion" in result.stderr
    assert result.json["error"].startswith("Unknown text-to-video backend")
    del cli.env["REELWRIGHT_TEXT_TO_VIDEO_BACKEND"]
    assert cli.ok("history")["projects"] == []  # no project, no failed job left behind
