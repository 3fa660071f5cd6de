"""Narration with coqui-tts voices: XTTS-v2 (voice cloning, 17 languages), VITS (VCTK's 109 speakers), YourTTS.

A model is a coqui model name (``tts_models/multilingual/multi-dataset/xtts_v2``) or a folder holding
``config.json`` and a checkpoint, as coqui ships and saves them. Both load through coqui's own
``Synthesizer`` with the files coqui's ``ModelManager`` finds in the folder (what ``TTS.api.TTS`` does
for a downloaded model), so a folder of tiny random weights loads exactly like the real ones.
A backend never downloads: ``download`` (behind ``reelwright voices pull``) does, and a missing model
says which command gets it.

Lines without a voice sample go through ``Synthesizer.tts`` (sentence splitting, a separate vocoder
where the model has one). A cloned voice's conditioning (XTTS: GPT latents and speaker embedding;
YourTTS: a d-vector) is computed here from the sample read with soundfile and resampled with soxr,
because coqui's path-taking helpers read files with ``torchaudio.load``, which needs torchcodec and
FFmpeg's libraries; it is kept per sample file, so the lines of one video compute it once.

Every line is spoken under a seed taken from its text: XTTS samples its GPT and VITS adds noise, and
the same line in the same voice should give the same audio, so narration caches and re-renders agree.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import importlib.util
import inspect
import json
import os
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from reelwright import torchaudio_compat
from reelwright.errors import GenerationError
from reelwright.generation.backends import Speech, SpeechRequest
from reelwright.generation.diffusers_backend import folder_fingerprint

NEEDS_VOICES = "Coqui voices need the voices extra: pip install 'reelwright[voices]'."
DEFAULT_MODEL = "tts_models/multilingual/multi-dataset/xtts_v2"
#: Shorter voice samples give no usable voice (coqui recommends 3-10 s of clean speech).
MIN_REFERENCE_S = 1.0
#: Cloned voices kept per backend: the samples of the few voices a worker's recent videos use.
CONDITIONING_SLOTS = 8
#: The silence coqui's ``Synthesizer`` puts after every sentence (its ``PAD_SILENCE_SAMPLES``).
SENTENCE_GAP_SAMPLES = 10000


def import_coqui() -> None:
    """Import coqui-tts, or say which extra installs it.

    coqui imports torchaudio, whose only PyPI build for the torch we pin cannot load its compiled part
    on a CPU machine; ``reelwright.torchaudio_compat`` (installed when ``reelwright`` is imported, and
    here again in case that import was bypassed) makes torchaudio run in pure Python then, which is all
    coqui needs of it (mel spectrograms, resampling).
    """
    if importlib.util.find_spec("TTS") is None or importlib.util.find_spec("torchaudio") is None:
        raise GenerationError(NEEDS_VOICES)
    torchaudio_compat.install()
    importlib.import_module("TTS")


def is_model_name(reference: str) -> bool:
    """Whether ``reference`` is written like a coqui model name (type/language/dataset/model)."""
    parts = reference.split("/")
    return len(parts) == 4 and parts[0] in {"tts_models", "vocoder_models"} and all(parts)


def _manager(progress: bool = False) -> Any:
    import_coqui()
    from TTS.utils.manage import ModelManager

    return ModelManager(progress_bar=progress)


def _model_item(manager: Any, model_name: str) -> tuple[dict[str, Any], str]:
    """coqui's catalogue entry of a model name and the folder name it downloads into."""
    if not is_model_name(model_name):
        raise GenerationError(f"{model_name!r} is not a coqui model name (like {DEFAULT_MODEL}).")
    try:
        item, full_name, _ = manager._set_model_item(model_name)
    except KeyError:
        raise GenerationError(f"coqui-tts has no model {model_name}; `tts --list_models` lists them.") from None
    return dict(item), full_name


def could_be_installed(model_name: str) -> bool:
    """Whether anything of the model is on disk, read without importing coqui (which imports torch: seconds a
    process would pay to list voices): its folder in coqui's cache, or its repository in the hub cache.
    ``installed_path`` then answers exactly."""
    spec = importlib.util.find_spec("TTS")
    if spec is None or not spec.submodule_search_locations or not is_model_name(model_name):
        return False
    model_type, language, dataset, model = model_name.split("/")
    roots = [os.environ.get("TTS_HOME"), os.environ.get("XDG_DATA_HOME"), str(Path.home() / ".local" / "share")]
    if any((Path(root).expanduser() / "tts" / f"{model_type}--{language}--{dataset}--{model}").is_dir() for root in roots if root):
        return True
    try:
        catalogue = json.loads((Path(spec.submodule_search_locations[0]) / ".models.json").read_text(encoding="utf-8"))
        repo_id = catalogue[model_type][language][dataset][model].get("repo_id")
    except (OSError, KeyError, ValueError):
        return True  # coqui's own lookup decides
    if not repo_id:
        return False
    hub = os.environ.get("HF_HUB_CACHE") or str(Path(os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface") / "hub")
    return (Path(hub) / f"models--{repo_id.replace('/', '--')}").is_dir()


def installed_path(model_name: str) -> Path | None:
    """The folder of an installed coqui model, looked up in coqui's cache without any network access.

    Models coqui publishes on GitHub live in ``$TTS_HOME`` (or ``$XDG_DATA_HOME/tts``, else
    ``~/.local/share/tts``); those on the Hugging Face hub (XTTS) in the hub cache (``HF_HOME``).
    None without coqui-tts: nothing is usable then.
    """
    if importlib.util.find_spec("TTS") is None:
        return None
    manager = _manager()
    item, full_name = _model_item(manager, model_name)
    if "repo_id" in item:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError

        try:
            folder = Path(
                snapshot_download(
                    item["repo_id"], allow_patterns=item.get("allow"), ignore_patterns=item.get("ignore"), local_files_only=True
                )
            )
        except LocalEntryNotFoundError:
            return None
    else:
        folder = Path(manager.output_prefix) / full_name
    return folder if (folder / "config.json").is_file() else None


def download(model_name: str, *, agree_to_terms: bool = False, progress: bool = True) -> Path:
    """Download a coqui model (and the vocoder it speaks through, if separate) with coqui's ModelManager.

    Models under the Coqui Public Model License (XTTS) download only once the person has agreed to it:
    ``agree_to_terms`` records that agreement as coqui does (``tos_agreed.txt``; ``COQUI_TOS_AGREED=1``
    works too). coqui would otherwise ask on the terminal, which a worker does not have.
    """
    manager = _manager(progress)
    item, full_name = _model_item(manager, model_name)
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}:
        raise GenerationError(_missing_message(model_name, "HF_HUB_OFFLINE is set: this machine does not download"))
    terms_folder = Path(manager.output_prefix) / full_name
    if not manager.tos_agreed(item, terms_folder):
        if not agree_to_terms:
            raise GenerationError(
                f"{model_name} is under the Coqui Public Model License, for non-commercial use (https://tts-hub.github.io/cpml). "
                "Read it; to agree and download: `reelwright voices pull NAME --agree-licence` (or COQUI_TOS_AGREED=1)."
            )
        terms_folder.mkdir(parents=True, exist_ok=True)
        (terms_folder / "tos_agreed.txt").write_text("I have read, understood and agreed to the Terms and Conditions.", encoding="utf-8")
    try:
        manager.download_model(model_name)
        if item.get("default_vocoder"):
            manager.download_model(item["default_vocoder"])
    except Exception as error:  # requests, huggingface_hub, zipfile: any failure leaves the model missing
        raise GenerationError(_missing_message(model_name, f"the download failed ({type(error).__name__}: {error})")) from error
    folder = installed_path(model_name)
    if folder is None:
        raise GenerationError(f"{model_name} downloaded but is not where this process looks (check TTS_HOME and HF_HOME).")
    return folder


def _missing_message(model_name: str, why: str | None = None) -> str:
    return (
        f"The coqui voice model {model_name} is not downloaded{f' ({why})' if why else ''}. Run `reelwright voices pull "
        f"{model_name}` on a machine with network access, with TTS_HOME (and HF_HOME) pointing at the cache this "
        "machine uses, or set the model to a folder holding its config.json and checkpoint."
    )


@dataclass(frozen=True)
class _Files:
    """What ``Synthesizer`` is given: the checkpoint and config, and a separate vocoder's, if any."""

    checkpoint: Path
    config: Path
    vocoder_checkpoint: Path | None = None
    vocoder_config: Path | None = None


def _files_in(folder: Path) -> tuple[Path, Path]:
    """The checkpoint and config.json coqui finds in a model folder (``model.pth``, ``model_file.pth``, ...)."""
    from TTS.utils.manage import ModelManager

    try:
        checkpoint, config = ModelManager._find_files(folder)
    except ValueError as error:
        raise GenerationError(f"{folder} is not a coqui model folder: {str(error).replace(' [!] ', '')}.") from None
    return Path(checkpoint), Path(config)


@dataclass
class _Voice:
    """A loaded model and what speaking with it needs."""

    synthesizer: Any
    model: Any
    kind: Literal["xtts", "vits", "other"]
    sample_rate: int
    speakers: list[str]
    length_scale: float | None
    clones: bool


class CoquiSpeech:
    """coqui-tts voices, loaded on the first line spoken and kept warm; one line at a time per backend."""

    name = "coqui"
    version = "1"
    #: The options that change the audio (part of narration cache keys); the device does not.
    pixel_options = ("model", "speaker", "default_language")

    class Options(BaseModel):
        """``[backend_options.coqui]``."""

        model: str = Field(
            default=DEFAULT_MODEL,
            description="A coqui model name (`reelwright voices pull NAME` installs it) or a folder with config.json and the checkpoint.",
        )
        speaker: str | None = Field(default=None, description="A multi-speaker model's speaker (default: its first).")
        device: Literal["auto", "cpu", "cuda"] = Field(default="auto", description="auto: cuda when available.")
        default_language: str = Field(
            default="en", pattern=r"^[a-z]{2,3}$", description="The language of a model whose config names none (ISO 639-1)."
        )

    def __init__(self, options: Options | None = None) -> None:
        if importlib.util.find_spec("TTS") is None:
            raise GenerationError(NEEDS_VOICES)
        self.options = options or CoquiSpeech.Options()
        folder = Path(self.options.model).expanduser()
        if folder.is_dir():
            self.folder: Path | None = folder
            self.model_identity = folder_fingerprint(folder)
        elif is_model_name(self.options.model) and self.options.model.startswith("tts_models/"):
            self.folder = None
            self.model_identity = f"{self.options.model}@coqui-tts {importlib.metadata.version('coqui-tts')}"
        else:
            raise GenerationError(f"No coqui model {self.options.model!r}: give a model name like {DEFAULT_MODEL} or a model folder.")
        self._lock = threading.Lock()
        self._voice: _Voice | None = None
        self._spoken: dict[str, str] | None = None
        self._conditioning: OrderedDict[tuple[str, int, int], Any] = OrderedDict()

    @property
    def languages(self) -> frozenset[str]:
        """The ISO 639-1 codes the model speaks, from its config (no weights are read)."""
        return frozenset(self._spoken_languages())

    def speak(self, request: SpeechRequest) -> Speech:
        language = self._language_name(request.language)
        with self._lock:
            voice = self._loaded()
            if not request.text.strip():
                return Speech(np.zeros(0, dtype=np.float32), voice.sample_rate)
            with self._seeded(voice, request.text):
                if request.reference_audio is not None:
                    samples = self._speak_cloned(voice, request, language)
                else:
                    samples = self._speak_plain(voice, request, language)
        return Speech(np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0), voice.sample_rate)

    def _check_speaker(self, speaker: str, speakers: Sequence[str]) -> None:
        if speaker not in speakers:
            listed = ", ".join(speakers[:12]) + (" …" if len(speakers) > 12 else "")
            raise GenerationError(
                f"{self.options.model} has no speaker {speaker!r}"
                + (f"; it has: {listed}." if speakers else "; it has one voice (leave speaker unset).")
            )

    def _speak_plain(self, voice: _Voice, request: SpeechRequest, language: str) -> np.ndarray:
        if request.speaker is not None:
            self._check_speaker(request.speaker, voice.speakers)
        speaker = request.speaker or self.options.speaker or (voice.speakers[0] if voice.speakers else None)
        if voice.kind == "xtts" and speaker is None:
            raise GenerationError(f"{self.options.model} speaks only in a cloned voice: give the narration a voice sample.")
        if voice.length_scale is not None:
            voice.model.length_scale = voice.length_scale / request.voice.speed
        samples = voice.synthesizer.tts(request.text, speaker_name=speaker, language_name=language, speed=request.voice.speed)
        return np.asarray(samples, dtype=np.float32)[:-SENTENCE_GAP_SAMPLES]

    def _speak_cloned(self, voice: _Voice, request: SpeechRequest, language: str) -> np.ndarray:
        assert request.reference_audio is not None
        if not voice.clones:
            raise GenerationError(f"{self.options.model} cannot clone a voice; XTTS-v2 and YourTTS can.")
        conditioning = self._conditioning_for(voice, request.reference_audio)
        pieces = []
        for sentence in voice.synthesizer.split_into_sentences(request.text, language):
            if voice.kind == "xtts":
                latents, embedding = conditioning
                settings = {
                    key: voice.model.config[key] for key in ("temperature", "length_penalty", "repetition_penalty", "top_k", "top_p")
                }
                wav = voice.model.inference(sentence, language, latents, embedding, speed=request.voice.speed, **settings)["wav"]
            else:
                assert voice.length_scale is not None
                voice.model.length_scale = voice.length_scale / request.voice.speed
                wav = _vits_line(voice.model, sentence, language, conditioning)
            pieces += [np.asarray(wav, dtype=np.float32).reshape(-1), np.zeros(SENTENCE_GAP_SAMPLES, dtype=np.float32)]
        return np.concatenate(pieces[:-1]) if pieces else np.zeros(0, dtype=np.float32)

    def _conditioning_for(self, voice: _Voice, path: Path) -> Any:
        """The voice of a sample, computed once per file version (path, modification time, size)."""
        try:
            stat = path.stat()
        except OSError as error:
            raise GenerationError(f"Cannot read the voice sample {path.name}: {error.strerror}.") from None
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        if key in self._conditioning:
            self._conditioning.move_to_end(key)
            return self._conditioning[key]
        samples, rate = _read_sample(path)
        conditioning = _xtts_conditioning(voice.model, samples, rate) if voice.kind == "xtts" else _d_vector(voice.model, samples, rate)
        self._conditioning[key] = conditioning
        while len(self._conditioning) > CONDITIONING_SLOTS:
            self._conditioning.popitem(last=False)
        return conditioning

    def _language_name(self, requested: str) -> str:
        """The model's own name for a requested language ("fr" -> "fr-fr" in YourTTS)."""
        spoken = self._spoken_languages()
        code = requested.lower().split("-")[0]
        if code not in spoken:
            raise GenerationError(
                f"The voice model {self.options.model} does not speak {requested!r}; it speaks {', '.join(sorted(spoken))}. "
                "Choose one of those languages or another voice model."
            )
        return spoken[code]

    def _spoken_languages(self) -> dict[str, str]:
        """ISO 639-1 code -> the name coqui knows the language by (for a config naming none, coqui's "en")."""
        if self._spoken is None:
            import_coqui()
            from TTS.config import load_config
            from TTS.tts.utils.languages import LanguageManager

            path = self._files().config
            try:
                config = load_config(str(path))
                named = _names_a_language(config)
                names = LanguageManager.init_from_config(config).language_names  # fills config.languages
            except (OSError, ValueError, KeyError, TypeError) as error:
                raise GenerationError(f"Cannot read the coqui model config {path}: {type(error).__name__}: {error}") from error
            if not named:
                self._spoken = {self.options.default_language: names[0]}
            else:
                self._spoken = {}
                for name in names:
                    self._spoken.setdefault(name.lower().split("-")[0], name)
        return self._spoken

    def _files(self) -> _Files:
        if self.folder is not None:
            return _Files(*_files_in(self.folder))
        folder = installed_path(self.options.model)
        if folder is None:
            offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}
            raise GenerationError(_missing_message(self.options.model, "HF_HUB_OFFLINE is set" if offline else None))
        checkpoint, config = _files_in(folder)
        item, _ = _model_item(_manager(), self.options.model)
        vocoder = item.get("default_vocoder")
        if not vocoder:
            return _Files(checkpoint, config)
        vocoder_folder = installed_path(vocoder)
        if vocoder_folder is None:
            raise GenerationError(_missing_message(self.options.model, f"its vocoder {vocoder} is missing"))
        return _Files(checkpoint, config, *_files_in(vocoder_folder))

    def _loaded(self) -> _Voice:
        if self._voice is None:
            self._voice = self._load()
        return self._voice

    def _load(self) -> _Voice:
        import_coqui()
        import torch

        files = self._files()
        from TTS.utils.synthesizer import Synthesizer

        use_cuda = self.options.device == "cuda" or (self.options.device == "auto" and torch.cuda.is_available())
        if use_cuda and not torch.cuda.is_available():
            raise GenerationError("backend_options.coqui.device is cuda, but this machine has no usable CUDA GPU.")
        try:
            synthesizer = Synthesizer(
                tts_checkpoint=files.checkpoint,
                tts_config_path=files.config,
                vocoder_checkpoint=files.vocoder_checkpoint,
                vocoder_config=files.vocoder_config,
                use_cuda=use_cuda,
            )
        except (OSError, ValueError, KeyError, RuntimeError) as error:
            raise GenerationError(f"Cannot load the coqui model {self.options.model}: {type(error).__name__}: {error}") from error
        model = synthesizer.tts_model
        family = synthesizer.tts_config.model  # what coqui's setup_model chose the class by
        kind: Literal["xtts", "vits", "other"] = family if family in {"xtts", "vits"} else "other"
        if kind == "xtts":
            _pass_cache_through(model.gpt.gpt_inference)
        speakers = _speaker_names(model)
        if self.options.speaker is not None:
            self._check_speaker(self.options.speaker, speakers)
        manager = getattr(model, "speaker_manager", None)
        clones = kind == "xtts" or (kind == "vits" and manager is not None and manager.encoder is not None)
        return _Voice(
            synthesizer=synthesizer,
            model=model,
            kind=kind,
            sample_rate=int(synthesizer.output_sample_rate),
            speakers=speakers,
            length_scale=float(model.length_scale) if kind == "vits" else None,
            clones=clones,
        )

    @contextlib.contextmanager
    def _seeded(self, voice: _Voice, text: str) -> Iterator[None]:
        """Torch's random state, seeded from the line, for the length of one line; restored afterwards."""
        import torch

        device = voice.model.device
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(zlib.crc32(text.encode("utf-8")))
            yield


def _names_a_language(config: Any) -> bool:
    """Whether a config says what it speaks; coqui assumes English for one that does not."""
    model_args = config.get("model_args") or {}
    return bool(
        config.get("languages")
        or (model_args.get("language_ids_file") and model_args.get("use_language_embedding"))
        or config.get("phoneme_language")
        or any(dataset.get("language") for dataset in config.get("datasets") or [])
    )


def _speaker_names(model: Any) -> list[str]:
    """A model's speakers: VITS speaker ids or d-vector names, XTTS's studio voices."""
    manager = getattr(model, "speaker_manager", None)
    if manager is None:
        return []
    names = list(manager.speaker_names)
    names += [name for name in getattr(manager, "embedding_names", []) if name not in names]
    return names


def _vits_line(model: Any, sentence: str, language: str, d_vector: Any) -> np.ndarray:
    """One sentence from a VITS model in the voice of ``d_vector``: ``synthesize`` with the speaker lookup
    replaced by the given d-vector (``synthesize`` takes a speaker name or a sample path, not a vector)."""
    import torch

    ids_by_name = model.language_manager.name_to_id
    ids = torch.as_tensor(model.tokenizer.text_to_ids(sentence, language=language), dtype=torch.long, device=model.device)[None]
    outputs = model.inference(
        ids,
        aux_input={
            "x_lengths": torch.tensor(ids.shape[1:2], device=model.device),
            "d_vectors": d_vector,
            "speaker_ids": None,
            "language_ids": torch.tensor([ids_by_name[language]], device=model.device),
        },
    )
    return np.asarray(outputs["model_outputs"][0].detach().cpu().numpy().squeeze(), dtype=np.float32)


def _read_sample(path: Path) -> tuple[np.ndarray, int]:
    """A voice sample as float32 mono samples and their rate."""
    import soundfile

    try:
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, OSError) as error:
        raise GenerationError(f"Cannot read the voice sample {path.name}: {error}.") from None
    mono = samples.mean(axis=1)
    if len(mono) < MIN_REFERENCE_S * rate:
        raise GenerationError(
            f"The voice sample {path.name} is {len(mono) / rate:.1f} s long; a cloned voice needs at least {MIN_REFERENCE_S:.0f} s (3-10 s is best)."
        )
    return mono, int(rate)


def _resampled(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    import soxr

    return samples if rate == target else np.asarray(soxr.resample(samples, rate, target), dtype=np.float32)


def _xtts_conditioning(model: Any, samples: np.ndarray, rate: int) -> tuple[Any, Any]:
    """XTTS's GPT conditioning latents and HiFi-GAN speaker embedding, as ``get_conditioning_latents``
    computes them from a file: at most ``max_ref_len`` s, the GPT's from 22.05 kHz, the speaker's from 16 kHz."""
    import torch

    config = model.config
    samples = samples[: int(rate * config.max_ref_len)]
    if config.sound_norm_refs:
        samples = samples / max(float(np.abs(samples).max()), 1e-9) * 0.75
    gpt_rate = config.audio.sample_rate
    speaker_rate = model.hifigan_decoder.speaker_encoder_audio_config["sample_rate"]
    gpt_audio = torch.from_numpy(_resampled(samples, rate, gpt_rate)).to(model.device)[None]
    speaker_audio = torch.from_numpy(_resampled(samples, rate, speaker_rate)).to(model.device)[None]
    latents = model.get_gpt_cond_latents(gpt_audio, gpt_rate, length=config.gpt_cond_len, chunk_length=config.gpt_cond_chunk_len)
    return latents, model.get_speaker_embedding(speaker_audio, speaker_rate)


def _d_vector(model: Any, samples: np.ndarray, rate: int) -> Any:
    """A VITS d-vector from the model's speaker encoder, as ``compute_embedding_from_clip`` computes it from a file."""
    import torch

    manager = model.speaker_manager
    processor = manager.encoder_ap
    wave = _resampled(samples, rate, processor.sample_rate)
    if processor.do_trim_silence:
        wave = processor.trim_silence(wave)
    features = wave if manager.encoder_config.model_params.get("use_torch_spec", False) else processor.melspectrogram(wave)
    with torch.inference_mode():
        return manager.encoder.compute_embedding(torch.from_numpy(np.asarray(features, dtype=np.float32)).to(model.device)[None])


def _pass_cache_through(gpt_inference: Any) -> None:
    """Let coqui's XTTS GPT receive the key/value cache from transformers >= 5.24.

    transformers 5.24 hands the cache to ``forward`` as ``cache`` (it was ``past_key_values``); coqui-tts
    0.28's ``GPT2InferenceModel.forward`` still takes ``past_key_values`` and drops unknown keywords, so
    from the second generated token on it fails. Passing ``use_cache=False`` would avoid that but makes
    every token recompute the whole sequence. This renames the keyword for this one model, and does
    nothing where transformers still passes ``past_key_values`` or coqui's forward takes ``cache``.
    """
    from transformers import GenerationMixin

    if "cache" not in inspect.signature(GenerationMixin.prepare_inputs_for_generation).parameters:
        return
    if "cache" in inspect.signature(type(gpt_inference).forward).parameters:
        return
    forward = gpt_inference.forward

    def forward_with_cache(*args: Any, cache: Any = None, **kwargs: Any) -> Any:
        if cache is not None:
            kwargs["past_key_values"] = cache
        return forward(*args, **kwargs)

    gpt_inference.forward = forward_with_cache
