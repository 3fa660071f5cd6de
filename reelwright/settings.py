"""All settings in one typed object, read from ``REELWRIGHT_*`` variables and an optional TOML file.

The object is built once by an adapter and passed down explicitly; nothing reads the environment later.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from reelwright.errors import BadSettings


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("reelwright", appauthor=False))


class Settings(BaseSettings):
    """Reelwright's configuration. Every field is ``REELWRIGHT_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(
        env_prefix="REELWRIGHT_",
        env_file=None,
        extra="ignore",
        toml_file=None,
    )

    data_dir: Path = Field(default_factory=default_data_dir, description="Database, artifacts and outputs.")
    artifact_dir: Path | None = Field(
        default=None, description="Where artifacts (clips, narration, images, videos) live; default: in the data directory."
    )
    artifact_url: str | None = Field(
        default=None,
        description=(
            "A store every machine shares, as an fsspec URL (s3://bucket/prefix with s3fs installed, file:///mnt/shared): "
            "workers on different machines exchange clips and videos through it."
        ),
    )
    database_url: str | None = Field(default=None, description="Any SQLAlchemy URL; default: SQLite (WAL) in the data directory.")

    llm_provider: str = Field(
        default="llamacpp",
        description=(
            "Who writes the shot plans: embedded SmolLM2, Ollama, an OpenAI-compatible API, a local chat model run by "
            "transformers, or code-only templates."
        ),
    )
    llm_model: str | None = Field(
        default=None, description="Model name (Ollama/OpenAI), a GGUF path (llamacpp), or a chat model folder or hub id (transformers)."
    )
    llm_base_url: str | None = Field(default=None, description="Endpoint for Ollama or an OpenAI-compatible server.")
    llm_api_key: SecretStr | None = Field(default=None, description="API key for an OpenAI-compatible server.")
    llm_timeout_s: float = Field(
        default=120.0,
        gt=0,
        description="How long a served model (Ollama, OpenAI-compatible) may take to answer before planning goes on without it.",
    )
    llm_threads: int = Field(default=1, ge=1, le=256, description="CPU threads for the embedded LLM.")

    text_to_video_backend: str = Field(default="animatic", description="Backend that renders text-only shots.")
    image_to_video_backend: str = Field(default="image-motion", description="Backend that animates a source image.")
    text_to_video_model: str | None = Field(
        default=None,
        description="A video model for text-only shots (preset id, hub id or model folder): the diffusers backend with it.",
    )
    image_to_video_model: str | None = Field(
        default=None, description="A video model for shots with a source image, and for continuing long shots."
    )
    default_voice: str = Field(
        default="joe",
        description="The voice of plans that do not name one, where it speaks their language (`reelwright voices list`; "
        "ENGINE:VOICE for a plugin's speech engine).",
    )
    talking_backend: str = Field(
        default="talking-face",
        description="What makes a face speak in talking shots: the CPU renderer (a labelled draft), or wan-s2v "
        "(Wan2.2-S2V on GPUs, its weights in [backend_options.wan-s2v]).",
    )
    music_backend: str = Field(default="procedural", description="What makes music beds and ambience: the procedural generator.")
    music_model: str | None = Field(
        default=None, description="A diffusers audio model for music and ambience (preset id, hub id or folder) instead of the generator."
    )
    backend_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Each backend's own settings by backend name (TOML [backend_options.NAME]; JSON in the environment).",
    )

    discord_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DISCORD_TOKEN", "REELWRIGHT_DISCORD_TOKEN"),
        description="The bot token (DISCORD_TOKEN). Never logged or stored.",
    )
    discord_api_base: str = Field(default="https://discord.com/api/v10", description="Discord REST API base URL.")
    discord_gateway_url: str | None = Field(default=None, description="Discord gateway URL (default: Discord's).")
    discord_message_content: bool = Field(
        default=False, description="Use the privileged message-content intent to follow plain replies in project threads."
    )

    max_request_chars: int = Field(default=2000, description="Longest request accepted from a person.")
    max_total_duration_s: float = Field(default=120.0, description="Longest video a request may ask for.")
    max_image_bytes: int = Field(default=25 * 1024 * 1024, description="Largest source image accepted.")
    max_image_pixels: int = Field(default=40_000_000, description="Most pixels a source image may have.")
    max_jobs_per_user: int = Field(default=2, ge=1, description="Renders one person may have queued or running at once.")
    max_queued_jobs: int = Field(default=20, ge=1, description="Renders queued or running at once, everyone together.")
    max_jobs_per_guild: int = Field(default=6, ge=1, description="Renders one Discord server may have queued or running at once.")
    job_lease_s: float = Field(
        default=60.0, ge=1.0, description="How long a job survives without its worker's heartbeat before another takes it over."
    )
    job_max_attempts: int = Field(default=3, ge=1, description="Workers that may take a job (after one died) before it is failed.")
    render_workers: int = Field(default=1, ge=1, description="Jobs the in-process runner renders at once (the embedded default).")
    broker_url: str | None = Field(
        default=None, description="A Redis URL: render jobs go to Celery workers (`reelwright worker`) instead of this process."
    )
    max_verify_bytes: int = Field(default=512 * 1024 * 1024, description="Largest file `verify` reads.")
    max_verify_pixels: int = Field(default=3840 * 2160, description="Largest frame size `verify` decodes.")
    watermark_key: SecretStr | None = Field(
        default=None,
        description="Key of the invisible watermark (every worker of a deployment needs the same). Unset: one is made on first run under the data folder.",
    )
    c2pa_cert_chain: Path | None = Field(
        default=None, description="PEM certificate chain that signs content credentials (unset: a local development CA is made)."
    )
    c2pa_private_key: Path | None = Field(default=None, description="PEM private key of the content-credentials certificate.")
    c2pa_trust_anchors: Path | None = Field(
        default=None, description="PEM root certificates whose credentials `verify` trusts (besides the local development CA)."
    )
    c2pa_tsa_url: str | None = Field(
        default=None, description="An RFC 3161 time-stamp server for content credentials (signing then needs it to answer)."
    )
    moderation_blocked_words: list[str] = Field(
        default_factory=list, description="Words and phrases refused everywhere a guild has not set its own policy (and on the CLI)."
    )
    moderation_disabled: list[str] = Field(
        default_factory=list, description="General moderation categories turned off by default (the deceptive-use ones cannot be)."
    )
    audit_retention_days: int = Field(default=90, ge=1, description="Days refusals are kept for review.")

    @field_validator("database_url")
    @classmethod
    def _a_database_this_install_can_open(cls, url: str | None) -> str | None:
        """Checked when read, so a mistyped URL is one line naming the setting, not a traceback later."""
        if url is None:
            return None
        try:
            make_url(url).get_dialect().import_dbapi()
        except (ArgumentError, ValueError):
            raise ValueError("not a database URL (sqlite:///path/to/file.db, postgresql+psycopg://user:password@host/db)") from None
        except (NoSuchModuleError, ImportError):
            raise ValueError(
                f"no database driver for {url.partition(':')[0]!r} is installed (PostgreSQL: postgresql+psycopg://…)"
            ) from None
        return url

    @field_validator("broker_url")
    @classmethod
    def _a_redis_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("not a Redis URL (redis://host:6379/0)")
        return url

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'reelwright.db'}"

    @property
    def artifacts_dir(self) -> Path:
        return self.artifact_dir or self.data_dir / "artifacts"

    @property
    def outputs_dir(self) -> Path:
        return self.data_dir / "outputs"

    @property
    def voices_dir(self) -> Path:
        """Voices pulled or installed by hand (Piper ``.onnx`` files); coqui models live in coqui's own cache."""
        return self.data_dir / "voices"

    @property
    def keys_dir(self) -> Path:
        """Keys made on first run (the watermark key, the development signing CA): private to this install."""
        return self.data_dir / "keys"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Init arguments win, then the environment, then ``REELWRIGHT_CONFIG`` (a TOML file)."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("REELWRIGHT_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)


def load_settings() -> Settings:
    """The settings from the environment and ``REELWRIGHT_CONFIG``, or one ``BadSettings`` naming
    every setting that is wrong and why (never its value: it may be a secret)."""
    config_file = os.environ.get("REELWRIGHT_CONFIG")
    if config_file and not Path(config_file).is_file():
        raise BadSettings(f"REELWRIGHT_CONFIG names {config_file}, which is not a file.")
    try:
        return Settings()
    except tomllib.TOMLDecodeError as error:
        raise BadSettings(f"The config file {config_file} is not valid TOML: {error}.") from None
    except ValidationError as error:
        problems = "; ".join(
            f"{setting_name(problem['loc'])}: {problem['msg'].removeprefix('Value error, ')}" for problem in error.errors()
        )
        raise BadSettings(f"Settings cannot be used: {problems}.") from None


def setting_name(location: tuple[int | str, ...]) -> str:
    """How a person sets the field at ``location``: its environment variable (also its TOML key, lowercased)."""
    field = str(location[0]) if location else "?"
    if field in Settings.model_fields:
        return f"REELWRIGHT_{field.upper()}"
    return field.upper()
