"""The package type-checks with mypy, as configured in pyproject.toml.

mypy finds modules by path and cannot follow setuptools' package-dir mapping of an editable install
(bot/ is reelwright.bot), so the check runs on a staged tree that links the folders into one
reelwright/ package, exactly as a wheel lays them out.
"""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("agent", "bot", "generation", "storage")


def test_mypy_finds_no_errors(tmp_path: Path) -> None:
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent)) or shutil.which("mypy")
    assert mypy, "mypy is part of the test extra: pip install -e '.[test]'"
    package = tmp_path / "reelwright"
    package.mkdir()
    for module in (ROOT / "reelwright").glob("*.py"):
        (package / module.name).symlink_to(module)
    for folder in FOLDERS:
        (package / folder).symlink_to(ROOT / folder, target_is_directory=True)
    done = subprocess.run(
        [mypy, "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path / "cache"), "-p", "reelwright"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
