"""The code keeps one style: ruff's lint and format as configured in pyproject.toml.

Run as part of the suite (ruff is pinned in the test extra), so the README's one test command checks it.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"])
def test_ruff_finds_nothing_to_change(command: list[str]) -> None:
    assert RUFF, "ruff is part of the test extra: pip install -e '.[test]'"
    done = subprocess.run([RUFF, *command], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
