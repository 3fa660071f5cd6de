"""``reelwright models``: the video, talking-portrait and audio model presets, what is downloaded here, pull and remove.

Each command takes ``--json`` and then prints one JSON object on stdout, like the rest of the CLI.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from reelwright.bot.cli_output import JsonFlag, emit, out, print_error
from reelwright.errors import GenerationError, NotFound, ReelwrightError
from reelwright.generation import model_hub
from reelwright.generation.audio_models import AUDIO_PRESETS, AudioPreset
from reelwright.generation.capabilities import Capabilities
from reelwright.generation.presets import PRESETS, Preset
from reelwright.generation.wan_s2v import TALKING_PRESETS, TalkingPreset, talking_preset

models = typer.Typer(
    help="Video, talking-portrait and audio models: presets, what is downloaded here, pull and remove.", no_args_is_help=True
)
ModelArgument = Annotated[str, typer.Argument(help="A preset id (see `reelwright models list`) or a hub id (org/name).")]


def rules_json(rules: Capabilities) -> dict[str, Any]:
    frames = rules.frames
    return {
        "size_multiple": rules.size_multiple,
        "pixels": rules.area,
        "fps": rules.fps,
        "frames": list(frames.fixed) if frames.fixed else f"{frames.multiple}k+{frames.remainder}, {frames.minimum}-{frames.maximum}",
        "longest_call_frames": frames.longest,
        "needs_image": rules.needs_image,
    }


def _common_json(preset: Preset | TalkingPreset | AudioPreset, role: str, installed: model_hub.Installed | None) -> dict[str, Any]:
    """What video, talking and sound presets all say: where the weights are, how they run, what they need."""
    return {
        "id": preset.id,
        "title": preset.title,
        "role": role,
        "hub_id": preset.hub_id,
        "revision": preset.revision,
        "pipeline": preset.pipeline,
        "dtype": preset.dtype,
        "steps": preset.steps,
        "guidance": preset.guidance,
        "licence": preset.licence,
        "memory_gb": preset.memory_gb,
        "memory_source": preset.memory_source,
        "downloaded": installed is not None,
        "size_bytes": installed.size_bytes if installed else None,
    }


def preset_json(preset: Preset, installed: model_hub.Installed | None) -> dict[str, Any]:
    return {**_common_json(preset, preset.role, installed), "rules": rules_json(preset.capabilities)}


def talking_preset_json(preset: TalkingPreset, installed: model_hub.Installed | None) -> dict[str, Any]:
    """A video preset's description, plus the talking backend that runs it and the speech sample rate it hears."""
    return {
        **_common_json(preset, preset.role, installed),
        "backend": preset.backend,
        "rules": rules_json(preset.capabilities),
        "speech_sample_rate": preset.sample_rate,
    }


def audio_preset_json(preset: AudioPreset, installed: model_hub.Installed | None) -> dict[str, Any]:
    return {
        **_common_json(preset, "/".join(preset.kinds), installed),
        "audio": {"sample_rate": preset.sample_rate, "channels": preset.channels, "longest_call_s": preset.longest_s},
        "gated": preset.gated,
    }


def failing(error: ReelwrightError) -> typer.Exit:
    print_error(error)
    return typer.Exit(error.exit_code)


@models.command("list")
def list_models(as_json: JsonFlag = False) -> None:
    """The presets: role, native size and rate, memory needed (none / model offload / group offload), licence, downloaded."""
    pictures: list[Preset | TalkingPreset] = [*PRESETS.values(), *TALKING_PRESETS]  # listed alike: size, fps, memory
    found = model_hub.downloaded([*(preset.id for preset in pictures), *(preset.id for preset in AUDIO_PRESETS)])
    rows = [preset_json(preset, found[preset.id]) for preset in PRESETS.values()]
    talking = [talking_preset_json(preset, found[preset.id]) for preset in TALKING_PRESETS]
    sounds = [audio_preset_json(preset, found[preset.id]) for preset in AUDIO_PRESETS]

    def human() -> None:
        table = Table("id", "role", "size, fps", "GPU GB", "licence", "here")
        for row, preset in zip([*rows, *talking], pictures, strict=True):
            memory = " / ".join(f"{preset.memory_gb[p]:g}" for p in ("none", "model-offload", "group-offload"))
            width, height = preset.capabilities.frame_size(16, 9)
            table.add_row(
                preset.id,
                preset.role,
                f"{width}x{height}, {preset.capabilities.fps}",
                memory,
                preset.licence,
                "yes" if row["downloaded"] else "",
            )
        for row in sounds:
            audio = row["audio"]
            memory = " / ".join(f"{row['memory_gb'][p]:g}" for p in ("none", "model-offload", "group-offload"))
            table.add_row(
                row["id"],
                row["role"],
                f"{audio['sample_rate'] // 1000:g} kHz x{audio['channels']}, {audio['longest_call_s']:g} s",
                memory,
                row["licence"],
                "yes" if row["downloaded"] else "",
            )
        out.print(table)

    emit(as_json, {"models": rows, "talking_models": talking, "audio_models": sounds}, human)


@models.command("info")
def info(model: ModelArgument, as_json: JsonFlag = False) -> None:
    """One model: its rules, memory table, licence, and what of it is downloaded."""
    try:
        repo_id, revision = model_hub.repo_of(model)
    except NotFound as error:
        raise failing(error) from None
    installed = model_hub.installed(model)
    preset = PRESETS.get(model)
    talking = talking_preset(model)
    audio = next((p for p in AUDIO_PRESETS if p.id == model), None)
    if preset:
        payload = preset_json(preset, installed)
    elif talking:
        payload = talking_preset_json(talking, installed)
    elif audio:
        payload = audio_preset_json(audio, installed)
    else:
        payload = {"id": model, "hub_id": repo_id, "revision": revision, "downloaded": bool(installed)}
    payload["missing"] = model_hub.missing_files(model)
    payload["path"] = str(installed.path) if installed and installed.path else None

    def human() -> None:
        for key, value in payload.items():
            out.print(f"{key}: {value}", highlight=False, soft_wrap=True)

    emit(as_json, payload, human)


@models.command("pull")
def pull(model: ModelArgument, as_json: JsonFlag = False) -> None:
    """Download a model into the Hugging Face cache (HF_HOME)."""
    try:
        installed = model_hub.pull(model)
    except (GenerationError, NotFound) as error:
        raise failing(error) from None
    payload = {"id": model, "hub_id": installed.repo_id, "revision": installed.revision, "size_bytes": installed.size_bytes}
    emit(as_json, payload, lambda: out.print(f"{model}: {installed.size_bytes / 2**30:.1f} GiB in {installed.path}", highlight=False))


@models.command("remove")
def remove(model: ModelArgument, as_json: JsonFlag = False) -> None:
    """Delete a model's downloaded files from the Hugging Face cache."""
    try:
        freed = model_hub.remove(model)
    except (GenerationError, NotFound) as error:
        raise failing(error) from None
    emit(
        as_json,
        {"id": model, "freed_bytes": freed},
        lambda: out.print(f"{model}: freed {freed / 2**20:.0f} MiB" if freed else f"{model} was not downloaded", highlight=False),
    )
