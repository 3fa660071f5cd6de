"""Open registries: video backends, speech engines, LLM providers and chat surfaces, found by name.

Each is an entry point in its group (``[project.entry-points."reelwright.video_backends"]`` in a
package's pyproject), so a plugin package adds one without editing Reelwright; this module imports none
of them. A factory that declares an ``Options`` pydantic model is built from its own typed settings
section (``Settings.backend_options[name]``, a TOML ``[backend_options.NAME]`` table).
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from pydantic import ValidationError

from reelwright.errors import ReelwrightError

VIDEO_BACKENDS = "reelwright.video_backends"
SPEECH_ENGINES = "reelwright.speech_engines"
SOUND_BACKENDS = "reelwright.sound_backends"
TALKING_BACKENDS = "reelwright.talking_backends"
LLM_PROVIDERS = "reelwright.llm_providers"
CHAT_SURFACES = "reelwright.chat_surfaces"


def load(group: str, name: str, *, kind: str, error: type[ReelwrightError], built_in: tuple[str, ...] = ()) -> Any:
    """The object registered as ``name`` in ``group``; ``error`` names what is installed (and ``built_in``) instead."""
    points = {point.name: point for point in entry_points(group=group)}
    if name not in points:
        raise error(f"Unknown {kind} {name!r}; installed: {', '.join(sorted([*points, *built_in])) or 'none'}.")
    try:
        return points[name].load()
    except Exception as failure:  # a plugin that cannot be imported is reported, not raised as a traceback
        raise error(f"The {kind} {name!r} could not be loaded ({type(failure).__name__}: {failure}).") from failure


def construct(factory: Any, options: dict[str, Any], *, kind: str, name: str, error: type[ReelwrightError]) -> Any:
    """``factory(Options(...))`` from its settings section, or ``factory()`` when it declares no options."""
    model = getattr(factory, "Options", None)
    if model is None:
        if options:
            raise error(f"The {kind} {name!r} takes no options (got {', '.join(sorted(options))}).")
        return factory()
    try:
        parsed = model.model_validate(options)
    except ValidationError as invalid:
        problem = invalid.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "options"
        raise error(f"Options for the {kind} {name!r} are invalid: {where}: {problem['msg']}.") from invalid
    return factory(parsed)
