"""A chat model run by transformers, for the planner on machines with a GPU.

Any local chat model folder or hub id (``REELWRIGHT_LLM_MODEL``) with a chat template: a 7B instruct
model writes better narration and reads edits better than the embedded 135M one, with no code change,
because it answers through the same ``ChatModel`` calls and its output goes through the same checks
(one line per narration, JSON parsed and validated against the schema, retried). It loads on first use,
in bf16 on a GPU and float32 on a CPU.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from reelwright.agent.json_reply import InvalidModelOutput, Reply, parse_json_object
from reelwright.errors import LLMUnavailable
from reelwright.settings import Settings

JSON_ATTEMPTS = 3


class TransformersModel:
    engine = "transformers"

    def __init__(self, model: str) -> None:
        self.model = model
        self.name = f"{self.engine}:{model}"
        self._loaded: tuple[Any, Any] | None = None
        self._lock = threading.Lock()

    def write(self, system: str, user: str, *, max_tokens: int, seed: int = 1) -> Reply:
        text, tokens = self._generate(system, user, max_tokens=max_tokens, seed=seed, sample=True)
        return Reply(text.strip().splitlines()[0] if text.strip() else "", tokens)

    def complete_json(self, system: str, user: str, schema: dict[str, Any], *, max_tokens: int) -> dict[str, Any]:
        instruction = f"{system}\nAnswer with one JSON object only, matching this JSON schema:\n{json.dumps(schema)}"
        last_error: InvalidModelOutput | None = None
        for attempt in range(JSON_ATTEMPTS):
            text, _ = self._generate(instruction, user, max_tokens=max_tokens, seed=attempt + 1, sample=attempt > 0)
            try:
                return parse_json_object(text)
            except InvalidModelOutput as error:
                last_error = error
        raise InvalidModelOutput(f"no valid JSON after {JSON_ATTEMPTS} attempts: {last_error}")

    def _generate(self, system: str, user: str, *, max_tokens: int, seed: int, sample: bool) -> tuple[str, int]:
        import torch

        tokenizer, model = self._load()
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        with self._lock:
            try:
                inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
                inputs = {key: value.to(model.device) for key, value in inputs.items()}
                torch.manual_seed(seed)
                with torch.inference_mode():
                    output = model.generate(
                        **inputs,
                        max_new_tokens=max_tokens,
                        do_sample=sample,
                        temperature=0.6 if sample else None,
                        top_p=0.9 if sample else None,
                        pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
                    )
            except (RuntimeError, ValueError) as error:  # out of memory, a model without a chat template
                raise LLMUnavailable(f"The language model ({self.name}) failed ({type(error).__name__}).") from error
        new = output[0][inputs["input_ids"].shape[-1] :]
        return tokenizer.decode(new, skip_special_tokens=True), int(new.shape[-1])

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._loaded is None:
                try:
                    import torch
                    from transformers import AutoModelForCausalLM, AutoTokenizer
                except ImportError as error:
                    raise LLMUnavailable(
                        "The transformers provider needs the diffusion extra: pip install 'reelwright[diffusion]'."
                    ) from error
                device = "cuda" if torch.cuda.is_available() else "cpu"
                try:
                    tokenizer = AutoTokenizer.from_pretrained(self.model)
                    model = AutoModelForCausalLM.from_pretrained(
                        self.model, dtype=torch.bfloat16 if device == "cuda" else torch.float32, device_map=device
                    )
                except (OSError, ValueError) as error:
                    raise LLMUnavailable(f"Could not load the language model {self.model} ({type(error).__name__}).") from error
                self._loaded = (tokenizer, model.eval())
            return self._loaded


def transformers_provider(settings: Settings) -> TransformersModel:
    """A chat model folder or hub id (``llm_model``) run in this process by transformers."""
    if not settings.llm_model:
        raise LLMUnavailable("Set REELWRIGHT_LLM_MODEL to a chat model folder or hub id for the transformers provider.")
    return TransformersModel(settings.llm_model)
