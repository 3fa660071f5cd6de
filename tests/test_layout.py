"""The layout installs under one name and its dependencies point one way.

The design's folders (agent/, bot/, generation/, storage/) install as reelwright.agent and so on;
the kernel (reelwright/) holds the settings, errors, plan schema and records that every layer passes
around and imports none of them; agent, generation and storage import only the kernel; the Discord
adapter talks to the conversation service, never to generation or storage.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {
    "reelwright": "reelwright",
    "agent": "reelwright.agent",
    "bot": "reelwright.bot",
    "generation": "reelwright.generation",
    "storage": "reelwright.storage",
}
LAYERS = ("reelwright.bot.discord_bot", "reelwright.bot", "reelwright.agent", "reelwright.generation", "reelwright.storage", "reelwright")
ALLOWED = {
    "reelwright": {"reelwright"},
    "reelwright.agent": {"reelwright", "reelwright.agent"},
    "reelwright.generation": {"reelwright", "reelwright.generation"},
    "reelwright.storage": {"reelwright", "reelwright.storage"},
    "reelwright.bot": {
        "reelwright",
        "reelwright.bot",
        "reelwright.bot.discord_bot",
        "reelwright.agent",
        "reelwright.generation",
        "reelwright.storage",
    },
    "reelwright.bot.discord_bot": {"reelwright", "reelwright.bot", "reelwright.bot.discord_bot"},
}


def layer_of(module: str) -> str | None:
    return next((layer for layer in LAYERS if module == layer or module.startswith(layer + ".")), None)


def source_modules() -> list[tuple[Path, str]]:
    modules = []
    for folder, package in FOLDERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            relative = path.relative_to(ROOT / folder).with_suffix("")
            modules.append((path, ".".join([package, *relative.parts]).removesuffix(".__init__")))
    return modules


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize(("path", "module"), source_modules(), ids=[m for _, m in source_modules()])
def test_every_import_points_the_allowed_way(path: Path, module: str) -> None:
    own = layer_of(module)
    assert own is not None
    wrong = sorted(
        name for name in imports_of(path) if name.split(".")[0] in {*FOLDERS, "reelwright"} and layer_of(name) not in ALLOWED[own]
    )
    assert not wrong, f"{module} ({own}) must not import {wrong}"


def test_installed_packages_are_reelwright_only(tmp_path: Path) -> None:
    probe = (
        "import importlib.util as u; import reelwright.bot, reelwright.agent, reelwright.generation, reelwright.storage;"
        "print([name for name in ('bot', 'agent', 'generation', 'storage') if u.find_spec(name)])"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
