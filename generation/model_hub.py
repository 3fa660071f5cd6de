"""Model weights on this machine: download into the standard Hugging Face cache, check, remove.

Downloads go through huggingface_hub (``snapshot_download``), so the cache is the one every other
Hugging Face tool shares (``HF_HOME``). Offline (``HF_HUB_OFFLINE=1``, or no network) a pull says
which files are missing and the exact command that gets them, never a traceback.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from reelwright.errors import GenerationError, NotFound
from reelwright.generation.presets import PRESETS

NEEDS_EXTRA = "Video models need the diffusion extra: pip install 'reelwright[diffusion]'."


@dataclass(frozen=True)
class Installed:
    repo_id: str
    revision: str
    size_bytes: int
    path: Path | None


def repo_of(reference: str) -> tuple[str, str]:
    """(hub id, revision) of a preset id (video, talking or audio) or a hub id."""
    from reelwright.generation.audio_models import audio_preset  # audio_models and wan_s2v import this module
    from reelwright.generation.wan_s2v import talking_preset

    preset = PRESETS.get(reference) or talking_preset(reference) or audio_preset(reference)
    if preset is not None:
        return preset.hub_id, preset.revision
    if reference.count("/") != 1:
        raise NotFound(f"Unknown model {reference!r}: `reelwright models list` shows the presets; a hub id looks like org/name.")
    return reference, "main"


def installed(reference: str) -> Installed | None:
    """What of a model is in the local cache, without any network access (None without the diffusion extra)."""
    return downloaded([reference])[reference]


def downloaded(references: list[str]) -> dict[str, Installed | None]:
    """``installed`` for several models, reading the cache once."""
    try:
        from huggingface_hub import scan_cache_dir
        from huggingface_hub.errors import CacheNotFound
    except ImportError:
        return dict.fromkeys(references)
    try:
        repos = [repo for repo in scan_cache_dir().repos if repo.repo_type == "model"]
    except CacheNotFound:
        return dict.fromkeys(references)
    found: dict[str, Installed | None] = {}
    for reference in references:
        repo_id, revision = repo_of(reference)
        snapshots = (r for repo in repos if repo.repo_id == repo_id for r in repo.revisions)
        snapshot = next((r for r in snapshots if revision in r.refs or r.commit_hash.startswith(revision)), None)
        found[reference] = Installed(repo_id, snapshot.commit_hash, snapshot.size_on_disk, snapshot.snapshot_path) if snapshot else None
    return found


def missing_files(reference: str) -> list[str]:
    """Files a cached model still lacks. A diffusers model: its index and, for each component the index names,
    its config and weights ("model_index.json" alone when not even the index is here). A talking model
    (Wan2.2-S2V has no diffusers index): the files of its published layout."""
    from reelwright.generation.wan_s2v import TALKING_PRESETS, WeightFiles  # wan_s2v imports this module

    found = installed(reference)
    if any(preset.hub_id == repo_of(reference)[0] for preset in TALKING_PRESETS):
        return WeightFiles.missing(found.path if found else None)
    if found is None or found.path is None or not (found.path / "model_index.json").is_file():
        return ["model_index.json"]
    index = json.loads((found.path / "model_index.json").read_text(encoding="utf-8"))
    missing = []
    for component, spec in index.items():
        if component.startswith("_") or not isinstance(spec, list) or spec[0] is None:
            continue
        folder = found.path / component
        if not folder.is_dir() or not any(folder.iterdir()):
            missing.append(f"{component}/")
    return missing


def pull(reference: str) -> Installed:
    """Download a model (all its components) into the Hugging Face cache."""
    repo_id, revision = repo_of(reference)
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, LocalEntryNotFoundError
    except ImportError:
        raise GenerationError(NEEDS_EXTRA) from None
    try:
        snapshot_download(repo_id, revision=revision)
    except GatedRepoError:
        raise GenerationError(
            f"{repo_id} is gated: accept its licence on its Hugging Face page, log in with `hf auth login`, "
            f"then run `reelwright models pull {reference}` again."
        ) from None
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as error:
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}
        why = "HF_HUB_OFFLINE is set" if offline else f"the hub cannot be reached ({type(error).__name__})"
        missing = ", ".join(missing_files(reference))
        raise GenerationError(
            f"Cannot download {repo_id}: {why}. Missing here: {missing}. On a machine with network access run "
            f"`HF_HUB_OFFLINE=0 reelwright models pull {reference}` (or `hf download {repo_id} --revision {revision}`), "
            "with HF_HOME pointing at the cache this machine uses."
        ) from None
    found = installed(reference)
    if found is None:
        raise GenerationError(f"{repo_id} downloaded but is not in the cache this process reads (check HF_HOME).")
    return found


def remove(reference: str) -> int:
    """Delete a model's cached revisions; the bytes freed (0 when it was not there)."""
    repo_id, _ = repo_of(reference)
    try:
        from huggingface_hub import scan_cache_dir
        from huggingface_hub.errors import CacheNotFound
    except ImportError:
        raise GenerationError(NEEDS_EXTRA) from None
    try:
        cache = scan_cache_dir()
    except CacheNotFound:
        return 0
    hashes = [r.commit_hash for repo in cache.repos if repo.repo_id == repo_id for r in repo.revisions]
    if not hashes:
        return 0
    strategy = cache.delete_revisions(*hashes)
    strategy.execute()
    return int(strategy.expected_freed_size)
